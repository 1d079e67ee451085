using System.Net;
using System.Net.Sockets;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tests.Internal.Linux;

/// <summary>
/// The kernel behaviour the io_uring relay is built on, on a real ring and a loopback TCP pair: a
/// receive takes a provided buffer only when bytes arrive, finds none at once when the ring is
/// empty (which the relay answers by copying without one), and ends with ECANCELED when cancelled
/// by descriptor (which the relay's abort waits for); and a chained send arms the next receive with
/// no completion of its own, unless it fails.
/// </summary>
public sealed class IoUringTests
{
    private const int ECANCELED = 125;
    private const ushort Group = 3;

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // told the socket is empty: waits for readiness before it tries
    public void A_receive_takes_a_buffer_only_when_bytes_arrive_and_says_which(bool pollFirst)
    {
        if (!EventLoopGroup.IsSupported)
        {
            return;
        }

        using var test = RingOnPair.Start(buffers: 1);
        var (ring, buffers, sender, receiver) = (test.Ring, test.Buffers, test.Sender, test.Receiver);

        ring.ReceiveSelect(Fd(receiver), Group, 4096, userData: 8, pollFirst);
        Assert.True(ring.SubmitAndWait(0, out var errno), $"errno {errno}");
        Assert.Empty(Drain(ring)); // no bytes yet: armed, holding no buffer

        sender.Send("hello"u8);
        var completion = Assert.Single(WaitFor(ring, 1));
        Assert.Equal(8ul, completion.UserData);
        Assert.Equal(5, completion.Result);
        Assert.NotEqual(0u, completion.Flags & IoUring.CqeBuffer);
        var id = (int)(completion.Flags >> IoUring.CqeBufferShift);
        Assert.Equal("hello"u8.ToArray(), buffers.Bytes(id, 5).ToArray());
    }

    [Fact]
    public void A_receive_finds_no_buffer_at_once_when_every_one_is_taken()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return;
        }

        using var test = RingOnPair.Start(buffers: 0);
        var (ring, receiver) = (test.Ring, test.Receiver);

        // No byte is waiting, yet the receive ends now: it picks its buffer before it looks for data.
        ring.ReceiveSelect(Fd(receiver), Group, 4096, userData: 1, pollFirst: false);
        var completion = Assert.Single(WaitFor(ring, 1));
        Assert.Equal(-Libc.ENOBUFS, completion.Result);
        Assert.Equal(0u, completion.Flags & IoUring.CqeBuffer);
    }

    [Fact]
    public void Cancelling_by_descriptor_ends_a_pending_receive_with_ECANCELED()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return;
        }

        using var test = RingOnPair.Start(buffers: 1);
        var (ring, buffers, sender, receiver) = (test.Ring, test.Buffers, test.Sender, test.Receiver);

        ring.ReceiveSelect(Fd(receiver), Group, 4096, userData: 1, pollFirst: false);
        Assert.True(ring.SubmitAndWait(0, out var errno), $"errno {errno}");
        ring.CancelAllOn(Fd(receiver), userData: 2);
        var completions = WaitFor(ring, 2).ToDictionary(c => c.UserData);
        Assert.Equal(-ECANCELED, completions[1].Result);
        Assert.Equal(1, completions[2].Result); // how many it cancelled
    }

    [Fact]
    public void A_receive_told_the_socket_is_empty_still_reads_bytes_that_are_already_there()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return;
        }

        using var test = RingOnPair.Start(buffers: 1);
        test.Sender.Send("early"u8);
        for (var i = 0; i < 100 && test.Receiver.Available < 5; i++)
        {
            Thread.Sleep(10);
        }

        // The hint is only a hint: readiness is checked when the poll is armed, so nothing is missed.
        test.Ring.ReceiveSelect(Fd(test.Receiver), Group, 4096, userData: 2, pollFirst: true);
        var completion = Assert.Single(WaitFor(test.Ring, 1));
        Assert.Equal(5, completion.Result);
        Assert.Equal("early"u8.ToArray(), test.Buffers.Bytes((int)(completion.Flags >> IoUring.CqeBufferShift), 5).ToArray());
    }

    [Fact]
    public void A_chained_send_arms_the_next_receive_and_only_the_receive_completes()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return;
        }

        using var test = RingOnPair.Start(buffers: 2);
        var (ring, buffers, sender, receiver) = (test.Ring, test.Buffers, test.Sender, test.Receiver);
        var id = ReceiveHello(test);

        // Echoed back to the sender and the next receive armed: no completion yet.
        ring.SendThenReceive(Fd(receiver), buffers, id, 5, Fd(receiver), sendData: 10, receiveData: 12);
        Assert.True(ring.SubmitAndWait(0, out var errno), $"errno {errno}");
        Assert.Empty(Drain(ring));
        var echo = new byte[5];
        sender.ReceiveTimeout = 5_000;
        Assert.Equal(5, sender.Receive(echo));
        Assert.Equal("hello"u8.ToArray(), echo);

        sender.Send("again"u8);
        var next = Assert.Single(WaitFor(ring, 1));
        Assert.Equal(12ul, next.UserData);
        Assert.Equal(5, next.Result);
        Assert.Equal("again"u8.ToArray(), buffers.Bytes((int)(next.Flags >> IoUring.CqeBufferShift), 5).ToArray());
    }

    [Fact]
    public void A_chain_whose_send_fails_completes_once_with_the_error_and_drops_its_receive()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return;
        }

        using var test = RingOnPair.Start(buffers: 2);
        var (ring, buffers, sender, receiver) = (test.Ring, test.Buffers, test.Sender, test.Receiver);
        var id = ReceiveHello(test);

        receiver.Shutdown(SocketShutdown.Send); // a send there fails with EPIPE
        ring.SendThenReceive(Fd(receiver), buffers, id, 5, Fd(receiver), sendData: 10, receiveData: 12);
        var failed = Assert.Single(WaitFor(ring, 1));
        Assert.Equal(10ul, failed.UserData);
        Assert.Equal(-Libc.EPIPE, failed.Result);

        // The receive never ran: bytes that arrive now complete nothing.
        sender.Send("later"u8);
        Thread.Sleep(100);
        Assert.True(ring.SubmitAndWait(0, out var errno), $"errno {errno}");
        Assert.Empty(Drain(ring));
    }

    /// <summary>"hello" from the sender, received into a buffer whose id is returned, as the relay receives a message before it sends it on.</summary>
    private static int ReceiveHello(RingOnPair test)
    {
        test.Sender.Send("hello"u8);
        test.Ring.ReceiveSelect(Fd(test.Receiver), Group, 4096, userData: 1, pollFirst: false);
        return (int)(Assert.Single(WaitFor(test.Ring, 1)).Flags >> IoUring.CqeBufferShift);
    }

    private static List<(ulong UserData, int Result, uint Flags)> Drain(IoUring ring)
    {
        var seen = new List<(ulong, int, uint)>();
        ring.Drain(seen, static (list, data, result, flags) => list.Add((data, result, flags)));
        return seen;
    }

    /// <summary>Submits and waits, at most 50 passes of 100 ms, until <paramref name="count"/> completions came.</summary>
    private static List<(ulong UserData, int Result, uint Flags)> WaitFor(IoUring ring, int count)
    {
        var seen = new List<(ulong UserData, int Result, uint Flags)>();
        for (var pass = 0; pass < 50 && seen.Count < count; pass++)
        {
            Assert.True(ring.SubmitAndWait(100, out var errno), $"errno {errno}");
            seen.AddRange(Drain(ring));
        }

        Assert.Equal(count, seen.Count);
        return seen;
    }

    private static int Fd(Socket socket) => (int)socket.SafeHandle.DangerousGetHandle();

    /// <summary>A started ring with its buffer ring (<c>buffers</c> of them given to the kernel) and a connected loopback pair.</summary>
    private sealed class RingOnPair : IDisposable
    {
        private RingOnPair(IoUring ring, IoUringBuffers buffers, Socket sender, Socket receiver) =>
            (Ring, Buffers, Sender, Receiver) = (ring, buffers, sender, receiver);

        public IoUring Ring { get; }

        public IoUringBuffers Buffers { get; }

        public Socket Sender { get; }

        public Socket Receiver { get; }

        public static RingOnPair Start(int buffers)
        {
            var ring = IoUring.TryCreate(8, out var errno) ?? throw new InvalidOperationException($"io_uring refused: errno {errno}");
            var ringBuffers = IoUringBuffers.TryCreate(ring, Group, capacity: 2, bufferSize: 4096, out errno) ?? throw new InvalidOperationException($"errno {errno}");
            Assert.True(ring.Enable(out errno), $"errno {errno}");
            for (var i = 0; i < buffers; i++)
            {
                Assert.True(ringBuffers.TryGrow());
            }

            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            sender.Connect(listener.LocalEndPoint!);
            return new RingOnPair(ring, ringBuffers, sender, listener.Accept());
        }

        public void Dispose()
        {
            Sender.Dispose();
            Receiver.Dispose();
            Buffers.Dispose();
            Ring.Dispose();
        }
    }
}
