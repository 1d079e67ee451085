using System.Net;
using ServiceProxy.Configuration;

namespace ServiceProxy.Hosting;

/// <summary>
/// Told what an operator must know about the service ports a <see cref="ServiceProxyServer"/> serves:
/// an address it cannot listen on, and endpoints that outlier detection takes out of rotation and
/// brings back. Called on the data plane's threads, some of them under a port's lock: an
/// implementation returns at once, never blocks and never throws (it hands the work to a queue).
/// </summary>
public interface IServicePortObserver
{
    /// <summary><paramref name="key"/> could not listen on one of its addresses; <paramref name="error"/> says which and why.</summary>
    void ListenFailed(ServicePortKey key, string error);

    /// <summary>
    /// <paramref name="endpoint"/> of <paramref name="key"/> left the rotation for <paramref name="duration"/>
    /// after <paramref name="failures"/> failed connects in a row.
    /// </summary>
    void EndpointEjected(ServicePortKey key, IPEndPoint endpoint, int failures, TimeSpan duration);

    /// <summary><paramref name="endpoint"/> of <paramref name="key"/> is back in rotation (its ejection time is up, or detection was turned off).</summary>
    void EndpointReturned(ServicePortKey key, IPEndPoint endpoint);
}
