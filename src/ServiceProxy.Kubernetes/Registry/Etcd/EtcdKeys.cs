using System.Text;
using Google.Protobuf;

namespace ServiceProxy.Kubernetes.Registry.Etcd;

/// <summary>
/// kube-apiserver's key layout under the prefix: <c>services/specs/&lt;ns&gt;/&lt;name&gt;</c>,
/// <c>services/endpoints/&lt;ns&gt;/&lt;name&gt;</c>, <c>pods/&lt;ns&gt;/&lt;name&gt;</c>,
/// <c>leases/&lt;ns&gt;/&lt;name&gt;</c>, cluster-scoped Nodes at <c>minions/&lt;name&gt;</c>, and the
/// allocation ranges <c>ranges/serviceips</c>, <c>ranges/servicenodeports</c> and svcproxy's
/// <c>ranges/loadbalancerips</c> (the load-balancer pool). Who last wrote an
/// object (<see cref="WriteOptions.Owner"/>) is kept beside it under <c>serviceproxy.io/owners/</c>,
/// written in the same transaction, so the object's value stays its plain JSON.
/// </summary>
internal sealed class EtcdKeys
{
    private const string OwnersDirectory = "serviceproxy.io/owners/";

    private static readonly (string Kind, string Directory)[] Kinds =
    [
        ("Service", "services/specs/"),
        ("Endpoints", "services/endpoints/"),
        ("Pod", "pods/"),
        ("Lease", "leases/"),
        ("Node", "minions/"),
    ];

    private readonly string _prefix;

    public EtcdKeys(string prefix)
    {
        _prefix = prefix.TrimEnd('/') + "/";
        Prefix = ByteString.CopyFromUtf8(_prefix);
        PrefixEnd = RangeEnd(Prefix);
        ServiceIPs = ByteString.CopyFromUtf8(_prefix + "ranges/serviceips");
        ServiceNodePorts = ByteString.CopyFromUtf8(_prefix + "ranges/servicenodeports");
        LoadBalancerIPs = ByteString.CopyFromUtf8(_prefix + "ranges/loadbalancerips");
    }

    /// <summary>Every key of the registry starts with it.</summary>
    public ByteString Prefix { get; }

    /// <summary>The end of the range of every key under <see cref="Prefix"/>.</summary>
    public ByteString PrefixEnd { get; }

    public ByteString ServiceIPs { get; }

    public ByteString ServiceNodePorts { get; }

    public ByteString LoadBalancerIPs { get; }

    public ByteString Object(string kind, string @namespace, string name) =>
        ByteString.CopyFromUtf8($"{_prefix}{DirectoryOf(kind)}{PathOf(kind, @namespace, name)}");

    public ByteString Owner(string kind, string @namespace, string name) =>
        ByteString.CopyFromUtf8($"{_prefix}{OwnersDirectory}{DirectoryOf(kind)}{PathOf(kind, @namespace, name)}");

    /// <summary>What a key under the prefix names: an object, an object's owner, or neither (null kind).</summary>
    public (string? Kind, bool IsOwner, string Namespace, string Name) Parse(ByteString key)
    {
        var text = key.ToStringUtf8();
        if (!text.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return (null, false, string.Empty, string.Empty);
        }

        var rest = text.AsSpan(_prefix.Length);
        var isOwner = rest.StartsWith(OwnersDirectory, StringComparison.Ordinal);
        if (isOwner)
        {
            rest = rest[OwnersDirectory.Length..];
        }

        foreach (var (kind, directory) in Kinds)
        {
            if (!rest.StartsWith(directory, StringComparison.Ordinal))
            {
                continue;
            }

            var path = rest[directory.Length..];
            if (ObjectKinds.IsClusterScoped(kind))
            {
                // The store keys cluster-scoped objects under the default namespace; etcd, by name alone.
                return path.IsEmpty || path.Contains('/') ? (null, false, string.Empty, string.Empty) : (kind, isOwner, ObjectWrites.NamespaceOrDefault(null), path.ToString());
            }

            var slash = path.IndexOf('/');
            if (slash <= 0 || slash == path.Length - 1 || path[(slash + 1)..].Contains('/'))
            {
                break;
            }

            return (kind, isOwner, path[..slash].ToString(), path[(slash + 1)..].ToString());
        }

        return (null, false, string.Empty, string.Empty);
    }

    /// <summary>etcd's range end for a prefix: the prefix with its last byte incremented.</summary>
    private static ByteString RangeEnd(ByteString prefix)
    {
        var bytes = prefix.ToByteArray();
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return ByteString.CopyFrom(bytes, 0, i + 1);
            }
        }

        return ByteString.CopyFrom(Encoding.UTF8.GetBytes("\0"));
    }

    private static string PathOf(string kind, string @namespace, string name) =>
        ObjectKinds.IsClusterScoped(kind) ? name : $"{@namespace}/{name}";

    private static string DirectoryOf(string kind)
    {
        foreach (var (k, directory) in Kinds)
        {
            if (k == kind)
            {
                return directory;
            }
        }

        throw new ArgumentException($"{kind} is not kept in etcd", nameof(kind));
    }
}
