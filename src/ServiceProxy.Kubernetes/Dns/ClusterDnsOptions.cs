namespace ServiceProxy.Kubernetes.Dns;

/// <summary>The cluster DNS zone's name and TTL (bound as <c>Registry:Dns:…</c>).</summary>
public sealed class ClusterDnsOptions
{
    /// <summary>The zone Services and Pods are named under (<c>svc.ns.svc.cluster.local</c>). Default <c>cluster.local</c>.</summary>
    public string ClusterDomain { get; set; } = "cluster.local";

    /// <summary>Seconds every record, and every negative answer, may be cached (0–3600). Default 5, as CoreDNS's kubernetes plugin.</summary>
    public int Ttl { get; set; } = 5;

    /// <summary>
    /// The addresses the zone is served on. The apex answers <c>NS ns.dns.zone</c>, as CoreDNS's
    /// kubernetes plugin does, and <c>ns.dns.zone</c> has these addresses. Default none (the NS record
    /// alone).
    /// </summary>
    public IList<string> NameServers { get; set; } = [];

    /// <summary><c>a-b-c-d.ns.pod.zone</c> records for the Pods the registry holds (CoreDNS's <c>pods verified</c>). Default true.</summary>
    public bool PodRecords { get; set; } = true;
}
