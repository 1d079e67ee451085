namespace ServiceProxy.Internal.Linux;

/// <summary>
/// Something registered with an event loop's epoll: a relayed connection or a connect in flight.
/// Its slot and id travel in each event, so an event that arrives after the entry ended is ignored.
/// </summary>
internal abstract class LoopEntry
{
    public int Slot { get; set; }

    public uint Id { get; set; }

    public ulong EventData(int side) => ((ulong)Id << 32) | ((ulong)(uint)Slot << 1) | (uint)side;

    /// <summary>The user data of the entry's io_uring <paramref name="operation"/> (0–7, the entry's own numbering).</summary>
    public ulong OperationData(int operation) => ((ulong)Id << 32) | ((ulong)(uint)Slot << 3) | (uint)operation;

    /// <summary>Readiness of the entry's socket <paramref name="side"/> (0 or 1). Loop thread.</summary>
    public abstract void OnEvents(int side, uint events);

    /// <summary>A command another thread queued (abort, cancel). Loop thread.</summary>
    public abstract void OnCommand();

    /// <summary>The completion of one of the entry's io_uring operations (see <see cref="OperationData"/>). Loop thread.</summary>
    public virtual void OnCompletion(int operation, int result, uint flags)
    {
    }

    /// <summary>One of the entry's handlers threw (never expected); the loop goes on with the others. Loop thread.</summary>
    public virtual void OnFault()
    {
    }

    /// <summary>The turn <see cref="EventLoop.Defer"/> asked for. Loop thread.</summary>
    public virtual void OnDeferred()
    {
    }
}
