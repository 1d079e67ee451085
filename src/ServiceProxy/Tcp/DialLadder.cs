using System.Net;
using ServiceProxy.Balancing;

namespace ServiceProxy.Tcp;

/// <summary>
/// kube-proxy's retry ladder for one client: one attempt per entry of
/// <see cref="TcpProxyOptions.ConnectTimeouts"/>, asking the balancer each time; after the first
/// failure the client's affinity is reset and the failed endpoint avoided. Each outcome is reported
/// to the balancer's passive health (<see cref="IEndpointBalancer.ReportConnect"/>). A struct the
/// connection's own async method keeps, so a dial allocates no state machine of its own.
/// </summary>
internal struct DialLadder(IReadOnlyList<TimeSpan> timeouts, IEndpointBalancer balancer, IPAddress client)
{
    private IPEndPoint? _failed;

    /// <summary>Attempts started so far.</summary>
    public int Attempts { get; private set; }

    /// <summary>The next attempt's endpoint and timeout; false when the balancer has none or every attempt was made.</summary>
    public bool TryNext(out IPEndPoint endpoint, out TimeSpan timeout)
    {
        endpoint = null!;
        timeout = default;
        if (Attempts >= timeouts.Count || balancer.Pick(client, resetAffinity: Attempts > 0, avoid: _failed) is not { } picked)
        {
            return false;
        }

        endpoint = picked;
        timeout = timeouts[Attempts++];
        return true;
    }

    /// <summary>
    /// The attempt at <paramref name="endpoint"/> failed: the next one avoids it. When
    /// <paramref name="endpointsFault"/> (refused, timed out, unreachable; not this process out of
    /// descriptors) it counts towards ejecting the endpoint.
    /// </summary>
    public void Failed(IPEndPoint endpoint, bool endpointsFault = true)
    {
        _failed = endpoint;
        if (endpointsFault)
        {
            balancer.ReportConnect(endpoint, succeeded: false);
        }
    }

    /// <summary>The attempt at <paramref name="endpoint"/> connected: its count of failures in a row starts again.</summary>
    public readonly void Connected(IPEndPoint endpoint) => balancer.ReportConnect(endpoint, succeeded: true);
}
