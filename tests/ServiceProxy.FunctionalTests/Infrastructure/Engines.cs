using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>Theory data: every relay engine must pass the same socket tests.</summary>
public static class Engines
{
    public static TheoryData<RelayEngine> All => [RelayEngine.Socket, RelayEngine.Pipelines, RelayEngine.Splice, RelayEngine.IoUring];

    /// <summary>The two ways the loops read UDP: through their io_uring, and on epoll (every other engine).</summary>
    public static TheoryData<RelayEngine> Udp => [RelayEngine.IoUring, RelayEngine.Splice];

    public static ServiceProxyOptions Options(RelayEngine engine) => new() { Tcp = { Engine = engine } };
}
