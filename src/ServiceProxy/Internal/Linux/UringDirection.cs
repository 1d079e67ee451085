using ServiceProxy.Tcp;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// One direction of a connection the io_uring relay moves: at most one operation in flight, a
/// receive into a buffer the kernel picks when bytes arrive, then sends of those bytes until every
/// one is written, then the next receive (or the send and the next receive as one chain). So a
/// direction holds at most one buffer: while its bytes wait to be sent, or, after a chained send,
/// until the chain's receive completes. A receive that fills a whole buffer starts a bulk phase, which
/// <see cref="Bulk"/> moves with splice(2) whenever the ring reports the socket ready, until a
/// small read ends it.
/// </summary>
internal sealed class UringDirection(RelayDirection direction, int sourceFd, int targetFd, int receiveOperation, int sendOperation, int pollOperation)
{
    public RelayDirection Direction { get; } = direction;

    public int SourceFd { get; } = sourceFd;

    public int TargetFd { get; } = targetFd;

    /// <summary>The relay's numbers for this direction's operations (see <see cref="UringConnection"/>).</summary>
    public int ReceiveOperation { get; } = receiveOperation;

    public int SendOperation { get; } = sendOperation;

    public int PollOperation { get; } = pollOperation;

    /// <summary>A chain is in flight: the send of the held bytes, then the next receive.</summary>
    public bool Chained { get; set; }

    /// <summary>The splice relay of the bulk phases, created at the first.</summary>
    public SpliceDirection? Bulk { get; set; }

    /// <summary>The buffer holding bytes not yet sent, or -1.</summary>
    public int BufferId { get; private set; } = -1;

    /// <summary>Bytes received into <see cref="BufferId"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of <see cref="BufferId"/> sent so far.</summary>
    public int Offset { get; private set; }

    /// <summary>Bytes held and not yet sent.</summary>
    public int Unsent => Count - Offset;

    /// <summary>End-of-stream was read and passed on.</summary>
    public bool IsDone { get; set; }

    public void Hold(int bufferId, int count)
    {
        BufferId = bufferId;
        Count = count;
        Offset = 0;
    }

    public void Advance(int sent) => Offset += sent;

    /// <summary>Lets go of the buffer; returns its id (or -1) for the caller to give back.</summary>
    public int TakeBuffer()
    {
        var id = BufferId;
        BufferId = -1;
        Count = 0;
        Offset = 0;
        return id;
    }

    public TcpCloseReason Failure(int errno, bool onTarget) =>
        errno is Libc.ECONNRESET or Libc.EPIPE or Libc.ECONNABORTED or Libc.ETIMEDOUT
            ? RelayFailure.ResetBy(onTarget, Direction)
            : TcpCloseReason.Error;
}
