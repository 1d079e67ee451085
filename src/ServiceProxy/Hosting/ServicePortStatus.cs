using System.Net;
using ServiceProxy.Configuration;

namespace ServiceProxy.Hosting;

/// <summary>What one service port is doing: where it listens, and what failed (an address in use, …).</summary>
public sealed record ServicePortStatus(
    ServicePortKey Key,
    IReadOnlyList<IPEndPoint> Listening,
    IReadOnlyList<string> Errors,
    long ActiveConnections);
