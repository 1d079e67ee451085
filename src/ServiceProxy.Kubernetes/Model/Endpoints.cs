namespace ServiceProxy.Kubernetes.Model;

/// <summary>A Kubernetes core/v1 Endpoints: the backends of the Service of the same name.</summary>
public sealed record Endpoints() : KubeObject("Endpoints")
{
    /// <summary>Groups of addresses that share the same ports; a backend is each address with each port of its subset.</summary>
    public IReadOnlyList<EndpointSubset>? Subsets { get; init; }
}

/// <summary>Addresses and the ports they all serve.</summary>
public sealed record EndpointSubset
{
    /// <summary>Addresses ready to receive traffic: the only ones the proxy sends to.</summary>
    public IReadOnlyList<EndpointAddress>? Addresses { get; init; }

    /// <summary>Addresses not ready yet (their Pod is not Ready); kept for clients, never proxied to.</summary>
    public IReadOnlyList<EndpointAddress>? NotReadyAddresses { get; init; }

    /// <summary>The ports every address of the subset serves.</summary>
    public IReadOnlyList<EndpointPort>? Ports { get; init; }
}

/// <summary>One backend address.</summary>
public sealed record EndpointAddress
{
    /// <summary>The IP address (IPv4 or IPv6).</summary>
    public string? Ip { get; init; }

    /// <summary>The hostname of the backend, when its Pod set one.</summary>
    public string? Hostname { get; init; }

    /// <summary>The node hosting the backend, when known.</summary>
    public string? NodeName { get; init; }

    /// <summary>The object behind the address (a Pod, for Endpoints the controller writes).</summary>
    public ObjectReference? TargetRef { get; init; }
}

/// <summary>A port of a subset, matched to a Service port by name.</summary>
public sealed record EndpointPort
{
    /// <summary>The Service port name it serves; empty for an unnamed single port.</summary>
    public string? Name { get; init; }

    /// <summary>The port number on each address.</summary>
    public int Port { get; init; }

    /// <summary><c>TCP</c>, <c>UDP</c> or <c>SCTP</c>; defaults to <c>TCP</c>.</summary>
    public string? Protocol { get; init; }

    /// <summary>The application protocol, kept as sent.</summary>
    public string? AppProtocol { get; init; }
}

/// <summary>A reference to another object (Kubernetes <c>ObjectReference</c>).</summary>
public sealed record ObjectReference
{
    /// <summary>The referenced object's kind (<c>Pod</c>).</summary>
    public string? Kind { get; init; }

    /// <summary>The referenced object's namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>The referenced object's name.</summary>
    public string? Name { get; init; }

    /// <summary>The referenced object's uid.</summary>
    public string? Uid { get; init; }

    /// <summary>The referenced object's resourceVersion when the reference was made.</summary>
    public string? ResourceVersion { get; init; }

    /// <summary>The referenced object's API version (<c>v1</c>).</summary>
    public string? ApiVersion { get; init; }

    /// <summary>The part of the object meant, such as <c>spec.containers{web}</c> for one container of a Pod.</summary>
    public string? FieldPath { get; init; }

    /// <summary>A reference to <paramref name="obj"/> (kind, namespace, name, uid, apiVersion, resourceVersion), with an optional <paramref name="fieldPath"/>.</summary>
    public static ObjectReference To(KubeObject obj, string? fieldPath = null)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return new ObjectReference
        {
            Kind = obj.Kind,
            Namespace = obj.Metadata.NamespaceOrDefault,
            Name = obj.Metadata.Name,
            Uid = obj.Metadata.Uid,
            ApiVersion = obj.ApiVersion,
            ResourceVersion = obj.Metadata.ResourceVersion,
            FieldPath = fieldPath,
        };
    }
}
