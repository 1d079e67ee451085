// A minimal UDP relay in C, built three ways so that io_uring can be weighed against epoll for a
// datagram round trip with nothing else differing: one thread, one socket per client connected to
// the backend (a session, as svcproxy and nginx keep), 64 KiB datagrams.
//
//   epoll:      edge-triggered epoll_wait, then recvfrom/recv until EAGAIN and a sendto/send per
//               datagram (what svcproxy's event loops do: 5 syscalls per datagram and direction).
//   uring:      multishot recvmsg on the listener and multishot recv on each session, into buffers
//               the kernel picks from a provided-buffer ring; each datagram is sent on with
//               send(2)/sendto(2). One io_uring_enter, which also waits, and one send per datagram
//               and direction.
//   uring-send: as uring, but the send is an io_uring operation too, submitted with the next wait
//               and posting no completion when it succeeds (IOSQE_CQE_SKIP_SUCCESS), from a copy
//               of the datagram: one io_uring_enter per datagram and direction.
//
// It is a measuring tool for benchmarks/compare/uring_vs_epoll.py --udp, not part of svcproxy: it
// shows how close a datagram relay's round trip can come to no relay at all on this kernel.
//
//   cc -O2 -o udp_relay udp_relay.c -luring
//   ./udp_relay MODE LISTEN_PORT BACKEND_PORT     (MODE: epoll, uring or uring-send; 127.0.0.1)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define DGRAM 65536
#define BUFS 64                    // provided buffers (a power of two)
#define BUF (DGRAM + 256)          // room for io_uring_recvmsg_out and the source address too
#define MAX_SESSIONS 256
#define SEND_SLOTS 16              // uring-send: copies in flight per session and direction
#define LISTENER_TOKEN ((__u64)MAX_SESSIONS)
#define SEND_TOKEN ((__u64)MAX_SESSIONS + 1)

struct session {
    struct sockaddr_in client;
    int fd;
    char (*to_backend)[DGRAM], (*to_client)[DGRAM];  // uring-send: the copies being sent
    int next_to_backend, next_to_client;
};

static struct session sessions[MAX_SESSIONS];
static int session_count, listener;
static struct sockaddr_in backend;

static void die(const char *what) { perror(what); exit(1); }

static int find_session(const struct sockaddr_in *client, int *created)
{
    *created = 0;
    for (int i = 0; i < session_count; i++)
        if (sessions[i].client.sin_port == client->sin_port && sessions[i].client.sin_addr.s_addr == client->sin_addr.s_addr)
            return i;
    if (session_count == MAX_SESSIONS)
        return -1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&backend, sizeof backend) < 0)
        die("session socket");
    struct session *s = &sessions[session_count];
    s->client = *client;
    s->fd = fd;
    *created = 1;
    return session_count++;
}

// ---- epoll ----

static void run_epoll(void)
{
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = LISTENER_TOKEN }, events[64];
    if (epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev) < 0)
        die("epoll_ctl");
    static char buf[DGRAM];
    for (;;) {
        int n = epoll_wait(ep, events, 64, -1);
        for (int e = 0; e < n; e++) {
            if (events[e].data.u64 == LISTENER_TOKEN) {
                for (;;) {
                    struct sockaddr_in client;
                    socklen_t length = sizeof client;
                    ssize_t got = recvfrom(listener, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&client, &length);
                    if (got < 0)
                        break;
                    int created, i = find_session(&client, &created);
                    if (i < 0)
                        continue;
                    if (created) {
                        struct epoll_event sev = { .events = EPOLLIN | EPOLLET, .data.u64 = (__u64)i };
                        epoll_ctl(ep, EPOLL_CTL_ADD, sessions[i].fd, &sev);
                    }
                    send(sessions[i].fd, buf, got, MSG_DONTWAIT);
                }
            } else {
                struct session *s = &sessions[events[e].data.u64];
                for (;;) {
                    ssize_t got = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT);
                    if (got < 0)
                        break;
                    sendto(listener, buf, got, MSG_DONTWAIT, (struct sockaddr *)&s->client, sizeof s->client);
                }
            }
        }
    }
}

// ---- io_uring ----

static struct io_uring ring;
static struct io_uring_buf_ring *buffer_ring;
static char *buffers;
static struct msghdr recvmsg_template = { .msg_namelen = sizeof(struct sockaddr_in) };

static struct io_uring_sqe *sqe_get(void)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    if (!sqe) {
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
}

static void give_back(int id)
{
    io_uring_buf_ring_add(buffer_ring, buffers + (size_t)id * BUF, BUF, id, io_uring_buf_ring_mask(BUFS), 0);
    io_uring_buf_ring_advance(buffer_ring, 1);
}

static void arm_listener(void)
{
    struct io_uring_sqe *sqe = sqe_get();
    io_uring_prep_recvmsg_multishot(sqe, listener, &recvmsg_template, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 1;
    io_uring_sqe_set_data64(sqe, LISTENER_TOKEN);
}

static void arm_session(int i)
{
    struct io_uring_sqe *sqe = sqe_get();
    io_uring_prep_recv_multishot(sqe, sessions[i].fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 1;
    io_uring_sqe_set_data64(sqe, (__u64)i);
}

static void ring_send(int fd, char *copy, const void *data, size_t length, const struct sockaddr_in *to)
{
    memcpy(copy, data, length);
    struct io_uring_sqe *sqe = sqe_get();
    io_uring_prep_send(sqe, fd, copy, length, 0);
    if (to) {  // sendto: liburing 2.3 has no io_uring_prep_sendto, the kernel (6.0+) takes addr2
        sqe->addr2 = (unsigned long)to;
        sqe->addr_len = sizeof *to;
    }
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, SEND_TOKEN);
}

static void run_uring(int ring_sends)
{
    struct io_uring_params params = { 0 };
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (io_uring_queue_init_params(256, &ring, &params) < 0)
        die("io_uring_queue_init");
    buffer_ring = mmap(NULL, BUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    buffers = malloc((size_t)BUFS * BUF);
    if (buffer_ring == MAP_FAILED || !buffers)
        die("buffers");
    struct io_uring_buf_reg reg = { .ring_addr = (unsigned long)buffer_ring, .ring_entries = BUFS, .bgid = 1 };
    if (io_uring_register_buf_ring(&ring, &reg, 0) < 0)
        die("io_uring_register_buf_ring");
    io_uring_buf_ring_init(buffer_ring);
    for (int id = 0; id < BUFS; id++)
        give_back(id);
    arm_listener();
    for (;;) {
        io_uring_submit_and_wait(&ring, 1);
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            __u64 token = io_uring_cqe_get_data64(cqe);
            if (token == SEND_TOKEN)
                continue;  // a failed send: the datagram is lost, as a full socket buffer loses it
            int more = cqe->flags & IORING_CQE_F_MORE;
            if (cqe->res < 0) {
                if (!more)
                    token == LISTENER_TOKEN ? arm_listener() : arm_session((int)token);
                continue;
            }
            int id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
            char *buf = buffers + (size_t)id * BUF;
            if (token == LISTENER_TOKEN) {
                struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buf, cqe->res, &recvmsg_template);
                int created, i = out ? find_session((struct sockaddr_in *)io_uring_recvmsg_name(out), &created) : -1;
                if (i >= 0) {
                    struct session *s = &sessions[i];
                    void *payload = io_uring_recvmsg_payload(out, &recvmsg_template);
                    unsigned length = io_uring_recvmsg_payload_length(out, cqe->res, &recvmsg_template);
                    if (created) {
                        s->to_backend = malloc(SEND_SLOTS * sizeof *s->to_backend);
                        s->to_client = malloc(SEND_SLOTS * sizeof *s->to_client);
                        arm_session(i);
                    }
                    if (ring_sends)
                        ring_send(s->fd, s->to_backend[s->next_to_backend++ % SEND_SLOTS], payload, length, NULL);
                    else
                        send(s->fd, payload, length, MSG_DONTWAIT);
                }
                if (!more)
                    arm_listener();
            } else {
                struct session *s = &sessions[token];
                if (ring_sends)
                    ring_send(listener, s->to_client[s->next_to_client++ % SEND_SLOTS], buf, cqe->res, &s->client);
                else
                    sendto(listener, buf, cqe->res, MSG_DONTWAIT, (struct sockaddr *)&s->client, sizeof s->client);
                if (!more)
                    arm_session((int)token);
            }
            give_back(id);
        }
        io_uring_cq_advance(&ring, seen);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s epoll|uring|uring-send LISTEN_PORT BACKEND_PORT\n", argv[0]);
        return 2;
    }
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    backend = address;
    backend.sin_port = htons(atoi(argv[3]));
    listener = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) < 0)
        die("listen");
    if (!strcmp(argv[1], "epoll"))
        run_epoll();
    else if (!strcmp(argv[1], "uring"))
        run_uring(0);
    else if (!strcmp(argv[1], "uring-send"))
        run_uring(1);
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
