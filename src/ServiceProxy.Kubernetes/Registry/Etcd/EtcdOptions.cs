namespace ServiceProxy.Kubernetes.Registry.Etcd;

/// <summary>
/// Where and how the registry keeps its objects in etcd (cluster mode), named as kube-apiserver
/// names its flags: <c>--etcd-servers</c>, <c>--etcd-prefix</c>, <c>--etcd-cafile</c>,
/// <c>--etcd-certfile</c>, <c>--etcd-keyfile</c>.
/// </summary>
public sealed class EtcdOptions
{
    /// <summary>
    /// The members' client URLs (<c>http://host:2379</c>, or <c>https://</c> with TLS); an entry may hold
    /// several, comma-separated. Empty: no etcd.
    /// </summary>
    public IList<string> Servers { get; set; } = [];

    /// <summary>The key prefix every object is kept under. Default <c>/registry</c>, as kube-apiserver's.</summary>
    public string Prefix { get; set; } = "/registry";

    /// <summary>A PEM file of the CA that signs the members' certificates; null trusts the system's roots.</summary>
    public string? CaFile { get; set; }

    /// <summary>A PEM client certificate presented to the members, with <see cref="KeyFile"/>.</summary>
    public string? CertFile { get; set; }

    /// <summary>The PEM private key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// How long one write may take, retries and the wait for the local cache included, before it fails
    /// with a storage error (500): a write never hangs on an unreachable etcd or one without quorum. Default 5 s.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
