using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>Theory data: every relay engine must pass the same socket tests.</summary>
public static class Engines
{
    public static TheoryData<RelayEngine> All => [RelayEngine.Socket, RelayEngine.Pipelines, RelayEngine.Splice, RelayEngine.IoUring];
}
