namespace ServiceProxy.Kubernetes.Model;

/// <summary>A Kubernetes core/v1 Endpoints: the backends of the Service of the same name.</summary>
public sealed record Endpoints() : KubeObject("Endpoints")
{
    public IReadOnlyList<EndpointSubset>? Subsets { get; init; }
}

public sealed record EndpointSubset
{
    public IReadOnlyList<EndpointAddress>? Addresses { get; init; }

    public IReadOnlyList<EndpointAddress>? NotReadyAddresses { get; init; }

    public IReadOnlyList<EndpointPort>? Ports { get; init; }
}

public sealed record EndpointAddress
{
    public string? Ip { get; init; }

    public string? Hostname { get; init; }

    public string? NodeName { get; init; }

    public ObjectReference? TargetRef { get; init; }
}

public sealed record EndpointPort
{
    public string? Name { get; init; }

    public int Port { get; init; }

    public string? Protocol { get; init; }

    public string? AppProtocol { get; init; }
}

public sealed record ObjectReference
{
    public string? Kind { get; init; }

    public string? Namespace { get; init; }

    public string? Name { get; init; }

    public string? Uid { get; init; }

    public string? ResourceVersion { get; init; }
}
