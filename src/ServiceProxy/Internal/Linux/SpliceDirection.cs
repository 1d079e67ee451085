using System.Buffers;
using ServiceProxy.Tcp;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// One direction of a relayed connection: source socket → target socket, on its event loop's
/// thread only. Two modes, switched by what the reads return, as HAProxy's splice-auto does:
/// <list type="bullet">
/// <item><b>copy</b> (the start): recv into the loop's scratch buffer and send it at once. A short
/// read proves the socket drained, so a small message costs one recv and one send.</item>
/// <item><b>splice</b>, after a read filled the whole chunk (a bulk transfer): socket → pooled pipe →
/// socket with splice(2), so the payload is never copied to user space. A small read switches
/// back, and so does a pipe that cannot be created (out of descriptors): the bytes are copied,
/// never the connection reset.</item>
/// </list>
/// Bytes are read only when nothing is pending, so at most one chunk
/// (<see cref="TcpProxyOptions.MaxBufferPerDirection"/>) is held, and an EAGAIN on a read always means
/// the source is drained, never that the pipe is full. An idle direction holds no pipe and no buffer.
/// </summary>
internal sealed unsafe class SpliceDirection(TcpProxyConnection connection, RelayDirection direction, int sourceFd, int targetFd)
{
    private const uint SpliceFlags = Libc.SPLICE_F_MOVE | Libc.SPLICE_F_NONBLOCK;
    private const int SendFlags = Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL;

    /// <summary>A splice read below this goes back to copy mode: the flow is no longer bulk.</summary>
    private const int SmallRead = 4096;

    private SplicePipe? _pipe;
    private int _inPipe;
    private byte[]? _unsent;
    private int _unsentOffset;
    private int _unsentCount;
    private bool _splicing;
    private bool _cannotSplice;
    private bool _sourceEnded;
    private bool _moved;

    public RelayDirection Direction { get; } = direction;

    /// <summary>End-of-stream was read and passed on (or the connection ended).</summary>
    public bool IsDone { get; private set; }

    /// <summary>Bytes read and not yet written; the target must become writable before more are read.</summary>
    public bool HasPending => _inPipe > 0 || _unsentCount > 0;

    /// <summary>The direction moves bytes with splice(2): its last read was a bulk one.</summary>
    public bool IsSplicing => _splicing;

    /// <summary>
    /// Splices from the next read on, for a relay that saw a bulk read itself
    /// (<see cref="UringConnection"/>); copying instead where splice failed before.
    /// </summary>
    public void StartSplicing() => _splicing = !_cannotSplice;

    /// <summary>
    /// Moves bytes until the source is drained, the target is full (EAGAIN), or the source ended.
    /// <paramref name="mayStopAfterShortRead"/>: this runs for a plain readability edge of the source
    /// (no hang-up or error flagged), so a short copy read proves it drained and no EAGAIN read is
    /// needed; otherwise reads go on until EAGAIN or end-of-stream, so no edge is lost.
    /// Returns the close reason when a socket failed, null otherwise.
    /// </summary>
    public TcpCloseReason? Pump(SplicePipePool pool, bool mayStopAfterShortRead)
    {
        _moved = false;
        var failure = PumpUntilBlocked(pool, mayStopAfterShortRead);
        if (_moved)
        {
            connection.Touch(); // once per readiness event, not per read and per send
        }

        return failure;
    }

    private TcpCloseReason? PumpUntilBlocked(SplicePipePool pool, bool mayStopAfterShortRead)
    {
        while (!IsDone)
        {
            if (_unsentCount > 0 || _inPipe > 0)
            {
                var written = _unsentCount > 0 ? SendUnsent() : Libc.Splice(_pipe!.ReadFd, 0, targetFd, 0, (nuint)_inPipe, SpliceFlags);
                if (written < 0)
                {
                    var error = Libc.LastError;
                    if (error == Libc.EINTR)
                    {
                        continue;
                    }

                    return error == Libc.EAGAIN ? null : Failure(error, onTarget: true); // EAGAIN: the target's EPOLLOUT edge resumes
                }

                Sent(written);
                continue;
            }

            if (_sourceEnded)
            {
                EndOfStream(pool);
                return null;
            }

            if (_splicing && (_pipe ??= pool.Rent()) is null)
            {
                // No pipe: the process is out of descriptors (EMFILE, ENFILE). Copying needs none,
                // so this chunk goes through the loop's buffer; the next full one tries again.
                _splicing = false;
            }

            nint read;
            if (_splicing)
            {
                read = SpliceIn();
                if (read > 0)
                {
                    _splicing = read >= SmallRead;
                    continue;
                }

                if (read < 0 && Libc.LastError is Libc.EINVAL or Libc.ENOSYS)
                {
                    // A socket type or sandbox without splice: copying still works.
                    _cannotSplice = true;
                    _splicing = false;
                    ReturnPipe(pool);
                    continue;
                }
            }
            else
            {
                read = CopyThrough(pool, out var shortRead, out var failure);
                if (failure is not null)
                {
                    return failure;
                }

                if (read > 0)
                {
                    if (shortRead && mayStopAfterShortRead && !HasPending)
                    {
                        return null;
                    }

                    continue;
                }
            }

            if (read == 0)
            {
                _sourceEnded = true;
                _moved = true;
                continue;
            }

            var readError = Libc.LastError;
            if (readError == Libc.EAGAIN)
            {
                ReturnPipe(pool); // drained: an idle direction holds no pipe
                return null;
            }

            if (readError != Libc.EINTR)
            {
                return Failure(readError, onTarget: false);
            }
        }

        return null;
    }

    /// <summary>Ends the direction for good; bytes still held are lost with the aborted connection.</summary>
    public void Release(SplicePipePool pool)
    {
        IsDone = true;
        if (_inPipe + _unsentCount > 0)
        {
            connection.BufferReleased(Direction, _inPipe + _unsentCount);
        }

        if (_pipe is not null)
        {
            if (_inPipe > 0)
            {
                pool.Discard(_pipe);
            }
            else
            {
                pool.Return(_pipe);
            }

            _pipe = null;
            _inPipe = 0;
        }

        ReturnUnsent();
    }

    /// <summary>splice(2) source → pipe; the pipe is empty here, so EAGAIN means the source is.</summary>
    private nint SpliceIn()
    {
        var read = Libc.Splice(sourceFd, 0, _pipe!.WriteFd, 0, (nuint)_pipe.Capacity, SpliceFlags);
        if (read > 0)
        {
            _inPipe = (int)read;
            Taken(read);
        }

        return read;
    }

    /// <summary>recv into the scratch buffer, then send at once; what the target refuses is kept in a rented buffer.</summary>
    private nint CopyThrough(SplicePipePool pool, out bool shortRead, out TcpCloseReason? failure)
    {
        failure = null;
        shortRead = false;
        var scratch = pool.Scratch;
        nint read;
        fixed (byte* buffer = scratch)
        {
            read = Libc.Recv(sourceFd, buffer, (nuint)pool.ChunkSize, Libc.MSG_DONTWAIT);
            if (read <= 0)
            {
                return read;
            }

            Taken(read);
            shortRead = read < pool.ChunkSize;
            nint sent;
            do
            {
                sent = Libc.Send(targetFd, buffer, (nuint)read, SendFlags);
            }
            while (sent < 0 && Libc.LastError == Libc.EINTR);

            if (sent < 0 && Libc.LastError != Libc.EAGAIN)
            {
                connection.BufferReleased(Direction, read);
                failure = Failure(Libc.LastError, onTarget: true);
                return read;
            }

            sent = Math.Max(0, sent);
            if (sent > 0)
            {
                Sent(sent);
            }

            if (sent < read)
            {
                _unsent = ArrayPool<byte>.Shared.Rent((int)(read - sent));
                scratch.AsSpan((int)sent, (int)(read - sent)).CopyTo(_unsent);
                _unsentOffset = 0;
                _unsentCount = (int)(read - sent);
            }
        }

        // A full chunk means more is queued: a bulk transfer, which splice moves without copying.
        _splicing = !shortRead && !_cannotSplice;
        return read;
    }

    private nint SendUnsent()
    {
        fixed (byte* buffer = &_unsent![_unsentOffset])
        {
            return Libc.Send(targetFd, buffer, (nuint)_unsentCount, SendFlags);
        }
    }

    private void Sent(nint count)
    {
        if (_unsentCount > 0)
        {
            _unsentOffset += (int)count;
            _unsentCount -= (int)count;
            if (_unsentCount == 0)
            {
                ReturnUnsent();
            }
        }
        else if (_inPipe > 0)
        {
            _inPipe -= (int)count;
        }

        connection.BufferReleased(Direction, count);
        connection.AddBytes(Direction, count);
        _moved = true;
    }

    private void Taken(nint count)
    {
        connection.BufferTaken(Direction, count);
        _moved = true;
    }

    private void EndOfStream(SplicePipePool pool)
    {
        ReturnPipe(pool);
        IsDone = true;
        if (!connection.DirectionCompleted())
        {
            // Half-close: the other direction goes on. After the last one, closing both sockets
            // sends this FIN, one syscall fewer.
            Libc.Shutdown(targetFd, Libc.SHUT_WR);
        }
    }

    /// <summary>Gives an empty pipe back to the pool: a direction that stops splicing holds none.</summary>
    public void ReturnPipe(SplicePipePool pool)
    {
        if (_pipe is not null && _inPipe == 0)
        {
            pool.Return(_pipe);
            _pipe = null;
        }
    }

    private void ReturnUnsent()
    {
        if (_unsent is not null)
        {
            ArrayPool<byte>.Shared.Return(_unsent);
            _unsent = null;
            _unsentOffset = 0;
            _unsentCount = 0;
        }
    }

    private TcpCloseReason Failure(int errno, bool onTarget) =>
        errno is Libc.ECONNRESET or Libc.EPIPE or Libc.ECONNABORTED or Libc.ETIMEDOUT
            ? RelayFailure.ResetBy(onTarget, Direction)
            : TcpCloseReason.Error;
}
