// A minimal TCP relay in C, built two ways so that io_uring can be weighed against epoll with
// nothing else differing: the same threads (one SO_REUSEPORT listener each), the same 16 KiB
// buffer per direction, one read in flight per direction, a FIN forwarded after the last byte.
//
//   epoll:  level-triggered epoll_wait, then recv and send per event (what HAProxy, nginx and
//           svcproxy's event loops do).
//   uring:  multishot accept, connect, recv, send and shutdown as io_uring operations; every
//           operation a loop iteration produces goes to the kernel in one io_uring_enter, which
//           also waits for the next completions (liburing; SINGLE_ISSUER and DEFER_TASKRUN when
//           the kernel has them). A send completes at once on loopback, so its completion ends
//           that wait at once, and the recv it leads to waits in a second io_uring_enter.
//   uring-link: as uring, but each send (MSG_WAITALL) is linked to the direction's next recv and
//           posts no completion when it succeeds (IOSQE_CQE_SKIP_SUCCESS): one io_uring_enter
//           per message and direction instead of two.
//   uring-sendsys: as uring, but each send is first tried with send(2) (MSG_DONTWAIT), and only
//           what the socket refuses goes to the ring: one send(2) and one io_uring_enter per
//           message and direction.
//
// It is a measuring tool for benchmarks/compare/uring_vs_epoll.py, not part of svcproxy: it shows
// what batching the syscalls can buy on a chain whose cost is mostly the kernel's TCP work.
//
//   cc -O2 -o uring_relay uring_relay.c -luring -lpthread
//   ./uring_relay MODE LISTEN_PORT BACKEND_PORT THREADS     (MODE: epoll, uring, uring-link or uring-sendsys; 127.0.0.1)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 16384
#define MAX_EVENTS 256
#define RING_ENTRIES 4096

struct side {
    int fd;
    struct side *peer;
    struct pair *pair;
    char buf[BUF];
    int len, off;   // bytes read and not yet written to the peer
    int eof;        // this side has read its FIN (and it was forwarded)
};

struct pair {
    struct side a, b;  // a: client, b: backend
    int inflight;      // io_uring operations not completed yet
    int dead;
    int connected;
};

static int listen_port, backend_port, linked, sendsys;
static struct sockaddr_in backend;

static int listener(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(listen_port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) || listen(fd, 4096)) {
        perror("listen");
        exit(1);
    }
    return fd;
}

static struct pair *new_pair(int client, int server) {
    struct pair *p = calloc(1, sizeof *p);
    p->a.fd = client, p->b.fd = server;
    p->a.peer = &p->b, p->b.peer = &p->a;
    p->a.pair = p->b.pair = p;
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return p;
}

// ---- epoll ----------------------------------------------------------------------------------

static void ep_set(int ep, struct side *s, unsigned events) {
    struct epoll_event ev = {.events = events, .data.ptr = s};
    epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
}

// Closed pairs are freed once the batch of events that may still name them is done.
static __thread struct pair *graveyard[2 * MAX_EVENTS];
static __thread int buried;

static void ep_close(struct pair *p) {
    if (p->dead) return;
    p->dead = 1;
    close(p->a.fd);
    close(p->b.fd);
    if (buried < 2 * MAX_EVENTS) graveyard[buried++] = p; else free(p);  // never more than 2 per event
}

// Reads from s and writes to its peer; returns 0 when the pair was closed.
static int ep_forward(int ep, struct side *s) {
    struct side *d = s->peer;
    if (s->len == 0) {
        ssize_t n = recv(s->fd, s->buf, BUF, 0);
        if (n < 0) return errno == EAGAIN ? 1 : (ep_close(s->pair), 0);
        if (n == 0) {
            s->eof = 1;
            shutdown(d->fd, SHUT_WR);
            if (d->eof) return ep_close(s->pair), 0;
            ep_set(ep, s, 0);
            return 1;
        }
        s->len = (int)n, s->off = 0;
    }
    ssize_t w = send(d->fd, s->buf + s->off, s->len - s->off, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN) return ep_close(s->pair), 0;
    if (w > 0) s->off += (int)w;
    if (s->off < s->len) {
        ep_set(ep, s, 0);                     // stop reading until the peer drains
        ep_set(ep, d, (d->eof ? 0 : EPOLLIN) | EPOLLOUT);
        return 1;
    }
    s->len = 0;
    return 1;
}

static void *epoll_loop(void *arg) {
    (void)arg;
    int lfd = listener(), ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, events[MAX_EVENTS];
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        for (int i = 0; i < n; i++) {
            struct side *s = events[i].data.ptr;
            if (!s) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    int b = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                    struct pair *p = new_pair(c, b);
                    if (connect(b, (struct sockaddr *)&backend, sizeof backend) < 0 && errno != EINPROGRESS) {
                        ep_close(p);
                        continue;
                    }
                    struct epoll_event ce = {.events = 0, .data.ptr = &p->a}, be = {.events = EPOLLOUT, .data.ptr = &p->b};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                    epoll_ctl(ep, EPOLL_CTL_ADD, b, &be);
                }
                continue;
            }
            struct pair *p = s->pair;
            if (p->dead) continue;
            if (!p->connected) {
                if (s != &p->b) {                // the client hung up before the backend answered
                    if (events[i].events & (EPOLLHUP | EPOLLERR)) ep_close(p);
                    continue;
                }
                int err = 0;                     // the backend's connect completed
                socklen_t len = sizeof err;
                getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) { ep_close(p); continue; }
                p->connected = 1;
                ep_set(ep, &p->a, EPOLLIN);
                ep_set(ep, &p->b, EPOLLIN);
                continue;
            }
            if ((events[i].events & EPOLLOUT) && s->peer->len > s->peer->off) {
                struct side *src = s->peer;      // s drained: finish the other direction's write
                if (!ep_forward(ep, src)) continue;
                if (src->len == 0) {
                    ep_set(ep, s, s->eof ? 0 : EPOLLIN);
                    ep_set(ep, src, src->eof ? 0 : EPOLLIN);
                }
                continue;
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ep_forward(ep, s);
        }
        while (buried > 0) free(graveyard[--buried]);
    }
    return NULL;
}

// ---- io_uring -------------------------------------------------------------------------------

enum op { OP_ACCEPT = 1, OP_CONNECT, OP_RECV, OP_SEND, OP_SHUTDOWN };

// user_data: the side's address with the operation in the low 3 bits (sides are 8-byte aligned).
static inline __u64 tag(void *ptr, enum op op) { return (__u64)(uintptr_t)ptr | op; }

static struct io_uring_sqe *sqe_of(struct io_uring *ring) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) {
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    return sqe;
}

static void ur_recv(struct io_uring *ring, struct side *s) {
    struct io_uring_sqe *sqe = sqe_of(ring);
    io_uring_prep_recv(sqe, s->fd, s->buf, BUF, 0);
    io_uring_sqe_set_data64(sqe, tag(s, OP_RECV));
    s->pair->inflight++;
}

static void ur_send(struct io_uring *ring, struct side *s) {  // s's buffer to its peer
    struct io_uring_sqe *sqe = sqe_of(ring);
    io_uring_prep_send(sqe, s->peer->fd, s->buf + s->off, s->len - s->off, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, tag(s, OP_SEND));
    s->pair->inflight++;
}

// s's whole buffer to its peer, then (linked, only once the send succeeded) s's next recv; only
// the recv posts a completion, unless the send fails, which cancels the recv.
static void ur_send_then_recv(struct io_uring *ring, struct side *s) {
    struct io_uring_sqe *sqe = sqe_of(ring);
    io_uring_prep_send(sqe, s->peer->fd, s->buf, s->len, MSG_NOSIGNAL | MSG_WAITALL);
    io_uring_sqe_set_data64(sqe, tag(s, OP_SEND));
    sqe->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
    s->pair->inflight++;  // counted back by the recv's completion, which always comes
    sqe = sqe_of(ring);
    io_uring_prep_recv(sqe, s->fd, s->buf, BUF, 0);
    io_uring_sqe_set_data64(sqe, tag(s, OP_RECV));
}

static void ur_kill(struct pair *p) {
    if (!p->dead) {
        p->dead = 1;
        shutdown(p->a.fd, SHUT_RDWR);  // completes the reads still in flight
        shutdown(p->b.fd, SHUT_RDWR);
    }
}

static void ur_release(struct pair *p) {
    if (p->inflight == 0 && (p->dead || (p->a.eof && p->b.eof))) {
        close(p->a.fd);
        close(p->b.fd);
        free(p);
    }
}

static void ur_accept(struct io_uring *ring, int lfd) {
    struct io_uring_sqe *sqe = sqe_of(ring);
    io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, 0);
    io_uring_sqe_set_data64(sqe, OP_ACCEPT);
}

static void *uring_loop(void *arg) {
    (void)arg;
    struct io_uring ring;
    struct io_uring_params params = {0};
#if defined(IORING_SETUP_SINGLE_ISSUER) && defined(IORING_SETUP_DEFER_TASKRUN)
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
#endif
    if (io_uring_queue_init_params(RING_ENTRIES, &ring, &params) < 0) {
        memset(&params, 0, sizeof params);
        if (io_uring_queue_init_params(RING_ENTRIES, &ring, &params) < 0) {
            perror("io_uring_queue_init");
            exit(1);
        }
    }
    int lfd = listener();
    ur_accept(&ring, lfd);
    for (;;) {
        io_uring_submit_and_wait(&ring, 1);
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            __u64 data = io_uring_cqe_get_data64(cqe);
            enum op op = data & 7;
            int res = cqe->res;
            if (op == OP_ACCEPT) {
                if (!(cqe->flags & IORING_CQE_F_MORE)) ur_accept(&ring, lfd);
                if (res < 0) continue;
                struct pair *p = new_pair(res, socket(AF_INET, SOCK_STREAM, 0));
                struct io_uring_sqe *sqe = sqe_of(&ring);
                io_uring_prep_connect(sqe, p->b.fd, (struct sockaddr *)&backend, sizeof backend);
                io_uring_sqe_set_data64(sqe, tag(&p->b, OP_CONNECT));
                p->inflight++;
                continue;
            }
            struct side *s = (struct side *)(uintptr_t)(data & ~(__u64)7);
            struct pair *p = s->pair;
            if (!(linked && op == OP_SEND)) p->inflight--;  // a linked send is counted by its recv
            if (p->dead) { ur_release(p); continue; }
            switch (op) {
            case OP_CONNECT:
                if (res < 0) { ur_kill(p); break; }
                ur_recv(&ring, &p->a);
                ur_recv(&ring, &p->b);
                break;
            case OP_RECV:
                if (res < 0) { ur_kill(p); break; }
                if (res == 0) {                  // forward the FIN after the last byte
                    struct io_uring_sqe *sqe = sqe_of(&ring);
                    io_uring_prep_shutdown(sqe, s->peer->fd, SHUT_WR);
                    io_uring_sqe_set_data64(sqe, tag(s, OP_SHUTDOWN));
                    p->inflight++;
                    break;
                }
                s->len = res, s->off = 0;
                if (linked) { ur_send_then_recv(&ring, s); break; }
                if (sendsys) {
                    ssize_t w = send(s->peer->fd, s->buf, s->len, MSG_NOSIGNAL | MSG_DONTWAIT);
                    if (w < 0 && errno != EAGAIN) { ur_kill(p); break; }
                    if (w > 0) s->off = (int)w;
                    if (s->off == s->len) { ur_recv(&ring, s); break; }
                }
                ur_send(&ring, s);
                break;
            case OP_SEND:
                if (linked) { ur_kill(p); break; }  // a failed linked send; its recv completes cancelled
                if (res < 0) { ur_kill(p); break; }
                s->off += res;
                if (s->off < s->len) ur_send(&ring, s); else ur_recv(&ring, s);
                break;
            case OP_SHUTDOWN:
                s->eof = 1;
                break;
            default:
                break;
            }
            ur_release(p);
        }
        io_uring_cq_advance(&ring, seen);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s epoll|uring|uring-link|uring-sendsys LISTEN_PORT BACKEND_PORT THREADS\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    listen_port = atoi(argv[2]), backend_port = atoi(argv[3]);
    backend = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(backend_port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int threads = atoi(argv[4]);
    linked = strcmp(argv[1], "uring-link") == 0;
    sendsys = strcmp(argv[1], "uring-sendsys") == 0;
    void *(*loop)(void *) = strncmp(argv[1], "uring", 5) == 0 ? uring_loop : epoll_loop;
    pthread_t ids[64];
    for (int i = 0; i < threads && i < 64; i++) pthread_create(&ids[i], NULL, loop, NULL);
    pthread_join(ids[0], NULL);
    return 0;
}
