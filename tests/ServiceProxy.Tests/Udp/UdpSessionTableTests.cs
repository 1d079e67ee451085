using System.Net;
using System.Net.Sockets;
using ServiceProxy.Udp;

namespace ServiceProxy.Tests.Udp;

public sealed class UdpSessionTableTests : IDisposable
{
    private static readonly IPEndPoint Endpoint = IPEndPoint.Parse("127.0.0.1:9");
    private readonly List<Socket> _sockets = [];

    private static UdpSessionTable Create(int capacity = 3, long granularity = 0) =>
        new(capacity, _ => true) { TouchGranularity = granularity };

    // Table tests never start the sessions: no proxy, no listener, no transport; a socket so closing works.
    private UdpSession Session(int clientPort, long now)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sockets.Add(socket);
        var client = new IPEndPoint(IPAddress.Loopback, clientPort);
        return new UdpSession(null!, null!, UdpSessionKey.From(0, client.Serialize()), client, Endpoint, socket, transport: null!, now);
    }

    private UdpSession Add(UdpSessionTable table, int clientPort, long now, out UdpSession? evicted)
    {
        var session = Session(clientPort, now);
        Assert.True(table.TryAdd(session, now, out var replaced, out evicted));
        Assert.Null(replaced);
        return session;
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }

    [Fact]
    public void Full_table_evicts_the_oldest_untouched_session()
    {
        var table = Create(capacity: 3);
        var s1 = Add(table, 1001, now: 1, out _);
        var s2 = Add(table, 1002, now: 2, out _);
        var s3 = Add(table, 1003, now: 3, out _);

        // Every session starts "used" (its first datagram), so the first eviction makes one pass
        // clearing bits in queue order and takes the oldest.
        Add(table, 1004, now: 4, out var evicted);
        Assert.Same(s1, evicted);

        table.Touch(s2, 5); // s2 is busy, s3 is not
        Add(table, 1005, now: 6, out evicted);
        Assert.Same(s3, evicted);
        Assert.Equal(3, table.Count);
        Assert.True(table.TryGet(s2.Key, out _));
        Assert.False(table.TryGet(s1.Key, out _));
    }

    [Fact]
    public void A_thousand_inserts_never_exceed_the_capacity()
    {
        var table = Create(capacity: 10);
        var evictions = 0;
        for (var i = 0; i < 1000; i++)
        {
            var session = Add(table, 2000 + i, now: i, out var evicted);
            evictions += evicted is null ? 0 : 1;
            Assert.InRange(table.Count, 1, 10);
            if (evicted is not null)
            {
                Assert.False(evicted.InTable);
                Assert.False(table.TryGet(evicted.Key, out _));
                evicted.TryClose(UdpCloseReason.Evicted);
            }
        }

        Assert.Equal(990, evictions);
    }

    [Fact]
    public void Same_key_replaces_instead_of_growing()
    {
        var table = Create(capacity: 3);
        var first = Add(table, 1001, now: 1, out _);
        var second = Session(1001, now: 2);

        Assert.True(table.TryAdd(second, 2, out var replaced, out var evicted));

        Assert.Same(first, replaced);
        Assert.Null(evicted);
        Assert.Equal(1, table.Count);
        Assert.True(table.TryGet(second.Key, out var found));
        Assert.Same(second, found);
    }

    [Fact]
    public void Sessions_for_a_vanished_endpoint_are_refused()
    {
        var table = new UdpSessionTable(3, _ => false);

        Assert.False(table.TryAdd(Session(1001, 1), 1, out _, out _));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Idle_sessions_are_removed_and_recent_ones_kept()
    {
        var table = Create(capacity: 10, granularity: 10);
        var old = Add(table, 1001, now: 0, out _);
        var busy = Add(table, 1002, now: 0, out _);
        table.Touch(busy, 95); // re-queued: 95 - 0 >= granularity

        var expired = new List<UdpSession>();
        table.RemoveIdle(now: 105, timeout: 100, expired);
        Assert.Empty(expired); // 105 < 100 + granularity: not yet provably idle

        table.RemoveIdle(now: 110, timeout: 100, expired);
        Assert.Equal([old], expired);
        Assert.Equal(1, table.Count);

        table.RemoveIdle(now: 205, timeout: 100, expired);
        Assert.Equal([old, busy], expired);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void A_touch_within_the_granularity_only_stamps_the_session()
    {
        var table = Create(capacity: 10, granularity: 10);
        var session = Add(table, 1001, now: 0, out _);

        table.Touch(session, 5);

        Assert.Equal(5, session.LastActivity);
        Assert.Equal(0, session.QueuedAt);

        // Idle since 5, not since 0: kept at 105 even though queued at 0.
        var expired = new List<UdpSession>();
        table.RemoveIdle(now: 104, timeout: 100, expired);
        Assert.Empty(expired);
        table.RemoveIdle(now: 115, timeout: 100, expired);
        Assert.Equal([session], expired);
    }

    [Fact]
    public void RemoveWhere_takes_only_matching_sessions()
    {
        var table = Create(capacity: 10);
        var sessions = Enumerable.Range(0, 6).Select(i => Add(table, 1000 + i, now: i, out _)).ToArray();

        var removed = new List<UdpSession>();
        table.RemoveWhere(s => s.Key.Port % 2 == 0, removed);

        Assert.Equal(3, removed.Count);
        Assert.Equal(3, table.Count);
        Assert.All(removed, s => Assert.False(table.TryGet(s.Key, out _)));
        Assert.False(table.Remove(removed[0]));
        Assert.True(table.Remove(sessions[1]));
        Assert.Equal(2, table.Count);
    }
}
