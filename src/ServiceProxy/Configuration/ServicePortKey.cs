namespace ServiceProxy.Configuration;

/// <summary>Names one service port: <c>namespace/name:port-name</c> (kube-proxy's ServicePortName).</summary>
public readonly record struct ServicePortKey(string Namespace, string Name, string PortName, TransportProtocol Protocol)
{
    public override string ToString() =>
        string.IsNullOrEmpty(PortName) ? $"{Namespace}/{Name}" : $"{Namespace}/{Name}:{PortName}";
}

public enum TransportProtocol
{
    Tcp,
    Udp,
}
