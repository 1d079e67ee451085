using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using ServiceProxy.Tcp;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// Accepts on the event loops. The listening socket is registered with every loop, level-triggered
/// with EPOLLEXCLUSIVE (the kernel wakes one waiting loop per connection), and the loop that accepts
/// a client goes on to dial its backend and relay it. A connection then lives on one thread from
/// accept to close: no hand-over from .NET's socket thread, one wake-up fewer per connection, and
/// new connections go to whichever loop is free.
/// </summary>
/// <remarks>
/// Each accept4(2) runs under a lock that <see cref="Stop"/> also takes, so once Stop returns no
/// loop touches the descriptor again and the owner may close it at once (a successor can bind the
/// same address). No SafeHandle reference is held: .NET's Socket.Dispose would spin on it.
/// </remarks>
internal sealed class LoopAcceptor
{
    /// <summary>Level-triggered: what is left is reported again, after the loop's other events.</summary>
    private const int MaxAcceptsPerEvent = 16;
    private bool _noAccessor; // loop threads: set once, when the runtime lacks the method

    private readonly Socket _listener;
    private readonly int _fd;
    private readonly Action<TransportSocket> _onAccepted;
    private readonly DescriptorReserve _reserve;
    private readonly Action<int> _onFailed;
    private readonly Action<int>? _onReset;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<Registration> _registrations = [];
    private bool _stopped;

    private LoopAcceptor(Socket listener, DescriptorReserve reserve, Action<TransportSocket> onAccepted, Action<int> onFailed, Action<int>? onReset, TimeProvider time)
    {
        _reserve = reserve;
        _onReset = onReset;
        _listener = listener;
        _fd = (int)listener.SafeHandle.DangerousGetHandle();
        _onAccepted = onAccepted;
        _onFailed = onFailed;
        _time = time;
    }

    /// <summary>Whether accepted sockets are built with the runtime's own internal constructor (tests check it).</summary>
    internal bool UsesAcceptAccessor => !_noAccessor;

    /// <summary>
    /// Registers <paramref name="listener"/> with every loop of <paramref name="loops"/>. Null (nothing registered) when epoll
    /// refused it; the caller then accepts with .NET. <paramref name="onAccepted"/> runs on the loop
    /// that accepted (the client carries it) and must not block; <paramref name="onFailed"/> gets the errno of a failed accept; when the
    /// process is out of descriptors, pending clients are reset (<see cref="DescriptorReserve"/>)
    /// and <paramref name="onReset"/> gets how many.
    /// </summary>
    public static LoopAcceptor? TryStart(Socket listener, EventLoopGroup loops, Action<TransportSocket> onAccepted, Action<int> onFailed, TimeProvider time, Action<int>? onReset = null)
    {
        loops.Reserve.Ensure();
        var acceptor = new LoopAcceptor(listener, loops.Reserve, onAccepted, onFailed, onReset, time);
        // Two loops can see the same connection ready; the one that loses must get EAGAIN, not block.
        Libc.SetNonBlocking(acceptor._fd);
        lock (acceptor._gate)
        {
            foreach (var loop in loops.Loops)
            {
                var registration = new Registration(acceptor, loop);
                acceptor._registrations.Add(registration);
                if (!loop.Register(registration, acceptor._fd, Libc.EPOLLIN | Libc.EPOLLEXCLUSIVE, side: 0))
                {
                    acceptor.StopLocked();
                    return null;
                }
            }
        }

        return acceptor;
    }

    /// <summary>Any thread: no loop accepts on the socket after this returns.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            StopLocked();
        }
    }

    private void StopLocked()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        foreach (var registration in _registrations)
        {
            registration.Loop.Unregister(_fd);
            registration.Loop.Remove(registration);
            registration.Resume?.Dispose();
        }
    }

    /// <summary>Loop thread: accepts what is pending, up to <see cref="MaxAcceptsPerEvent"/>.</summary>
    private void AcceptPending(Registration registration)
    {
        Span<byte> address = stackalloc byte[Libc.SockAddrSize];
        for (var i = 0; i < MaxAcceptsPerEvent; i++)
        {
            int fd, errno, reset = 0;
            lock (_gate)
            {
                if (_stopped || registration.Paused)
                {
                    return;
                }

                fd = Libc.Accept(_fd, address);
                // Read before the lock is released: releasing a contended lock wakes the waiting
                // loop, and the runtime's own interop on the way overwrote the last error with 0.
                errno = fd < 0 ? Libc.LastError : 0;
                if (errno is Libc.EMFILE or Libc.ENFILE)
                {
                    reset = _reserve.ResetPending(_fd);
                }
            }

            if (reset > 0)
            {
                _onReset?.Invoke(reset);
            }

            if (fd < 0)
            {
                if (errno == Libc.EAGAIN)
                {
                    return; // another loop took it, or nothing is left
                }

                if (errno is Libc.EINTR or Libc.ECONNABORTED)
                {
                    continue; // the client reset before it was accepted
                }

                _onFailed(errno);
                if (errno is Libc.EMFILE or Libc.ENFILE or Libc.ENOBUFS or Libc.ENOMEM)
                {
                    Pause(registration); // level-triggered: the pending connection would spin the loop
                }

                return;
            }

            _onAccepted(new TransportSocket(Wrap(fd, Libc.ReadSockAddr(address)), registration.Loop, NonBlocking: true));
        }
    }

    /// <summary>
    /// A .NET socket for an accepted descriptor, built as .NET's own accept builds it (properties
    /// from the listener, no syscall). Should a runtime lack that internal method, the public
    /// constructor reads the properties back from the descriptor instead.
    /// </summary>
    private Socket Wrap(int fd, IPEndPoint? remote)
    {
        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        if (!_noAccessor)
        {
            try
            {
                return CreateAcceptSocket(_listener, handle, remote);
            }
            catch (MissingMethodException)
            {
                _noAccessor = true;
            }
        }

        return new Socket(handle);
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "CreateAcceptSocket")]
    private static extern Socket CreateAcceptSocket(Socket listener, SafeSocketHandle fd, EndPoint? remoteEP);

    /// <summary>Out of descriptors or memory: this loop stops watching the listener for a while.</summary>
    private void Pause(Registration registration)
    {
        lock (_gate)
        {
            if (_stopped || registration.Paused)
            {
                return;
            }

            registration.Paused = true;
            registration.Loop.Unregister(_fd);
            registration.Resume = _time.CreateTimer(static r => ((Registration)r!).Loop.EnqueueCommand((Registration)r!), registration, Libc.ResourceBackoff, Timeout.InfiniteTimeSpan);
        }
    }

    private void Resume(Registration registration)
    {
        lock (_gate)
        {
            if (_stopped || !registration.Paused)
            {
                return;
            }

            registration.Paused = false;
            registration.Resume?.Dispose();
            registration.Resume = null;
            registration.Loop.Add(registration, _fd, Libc.EPOLLIN | Libc.EPOLLEXCLUSIVE);
        }
    }

    /// <summary>The listener as one loop sees it.</summary>
    private sealed class Registration(LoopAcceptor owner, EventLoop loop) : LoopEntry
    {
        public EventLoop Loop { get; } = loop;

        public bool Paused { get; set; }

        public ITimer? Resume { get; set; }

        public override void OnEvents(int side, uint events) => owner.AcceptPending(this);

        public override void OnCommand() => owner.Resume(this);
    }
}
