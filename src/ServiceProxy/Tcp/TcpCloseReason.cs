namespace ServiceProxy.Tcp;

/// <summary>Why a proxied connection ended (access log, metrics).</summary>
internal enum TcpCloseReason
{
    /// <summary>Both sides closed their write side; every byte was relayed.</summary>
    Completed,

    /// <summary>The client reset the connection; the reset was passed to the backend.</summary>
    ClientReset,

    /// <summary>The backend reset the connection; the reset was passed to the client.</summary>
    BackendReset,

    /// <summary>No byte moved either way for <see cref="TcpProxyOptions.IdleTimeout"/>.</summary>
    IdleTimeout,

    /// <summary>One side had closed and no byte moved for <see cref="TcpProxyOptions.HalfClosedTimeout"/>.</summary>
    HalfClosedTimeout,

    /// <summary>The service port was stopped and its drain time ran out.</summary>
    Shutdown,

    /// <summary>A socket error other than a reset.</summary>
    Error,
}
