using System.Collections.Immutable;
using System.Net;
using ServiceProxy.Configuration;

namespace ServiceProxy.Balancing;

/// <summary>
/// Picks the endpoint for each new TCP connection or UDP flow of one service port
/// (kube-proxy's LoadBalancer.NextEndpoint). One instance per service port, shared by all of
/// that port's listeners.
/// </summary>
internal interface IEndpointBalancer
{
    /// <summary>The current endpoints, in their shuffled round-robin order.</summary>
    ImmutableArray<IPEndPoint> Endpoints { get; }

    /// <summary>The port's passive health: which endpoints are out of rotation, and why.</summary>
    OutlierDetector Outliers { get; }

    /// <summary>Affinity entries held now.</summary>
    int AffinityCount { get; }

    /// <summary>
    /// The endpoint for a new connection from <paramref name="client"/>, or null when there is none.
    /// <paramref name="resetAffinity"/> ignores the client's pinned endpoint and re-pins it (after a
    /// failed dial); <paramref name="avoid"/> is skipped when another endpoint exists, and so are
    /// ejected endpoints (a client pinned to one is re-pinned at once).
    /// </summary>
    IPEndPoint? Pick(IPAddress client, bool resetAffinity = false, IPEndPoint? avoid = null);

    /// <summary>
    /// Applies a new endpoint set, affinity and passive health settings. A changed set is reshuffled
    /// and the index reset; only affinity entries of vanished endpoints are dropped; a new timeout
    /// applies to existing entries; endpoints that remain keep their health. Null
    /// <paramref name="outlierDetection"/>: no endpoint is ever ejected.
    /// </summary>
    void Update(ImmutableArray<IPEndPoint> endpoints, AffinityConfig affinity, OutlierDetectionConfig? outlierDetection = null);

    /// <summary>
    /// The outcome of a connect to <paramref name="endpoint"/>: failures in a row may eject it from
    /// the rotation (<see cref="OutlierDetector"/>); a success resets its count.
    /// </summary>
    void ReportConnect(IPEndPoint endpoint, bool succeeded);

    /// <summary>Drops expired affinity entries; returns how many.</summary>
    int SweepExpired();
}
