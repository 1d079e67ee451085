namespace ServiceProxy.Configuration;

/// <summary>Names one service port: <c>namespace/name:port-name</c> (kube-proxy's ServicePortName).</summary>
public readonly record struct ServicePortKey(string Namespace, string Name, string PortName, TransportProtocol Protocol)
{
    /// <summary><c>namespace/name:port-name</c>, or <c>namespace/name</c> for an unnamed port.</summary>
    public override string ToString() =>
        string.IsNullOrEmpty(PortName) ? $"{Namespace}/{Name}" : $"{Namespace}/{Name}:{PortName}";
}

/// <summary>The layer-4 protocol of a service port.</summary>
public enum TransportProtocol
{
    /// <summary>TCP: each accepted connection is relayed to one endpoint.</summary>
    Tcp,

    /// <summary>UDP: datagrams from one client address form a session relayed to one endpoint.</summary>
    Udp,
}
