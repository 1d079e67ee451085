namespace ServiceProxy.Configuration;

/// <summary>
/// Whether TCP backends are told the client's address with a PROXY protocol header (HAProxy's
/// format), so the client IP is not lost behind the proxy. Set per service with the annotation
/// <c>serviceproxy.io/proxy-protocol: v1|v2</c>.
/// </summary>
public enum ProxyProtocolVersion
{
    /// <summary>No header: backends see the proxy's address (kube-proxy userspace behaviour).</summary>
    None,

    /// <summary>The text header: <c>PROXY TCP4 192.0.2.1 198.51.100.1 56324 80\r\n</c>.</summary>
    V1,

    /// <summary>The binary header.</summary>
    V2,
}
