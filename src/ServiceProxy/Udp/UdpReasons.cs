namespace ServiceProxy.Udp;

/// <summary>Why a UDP session ended (access log and <c>serviceproxy.udp.sessions.closed</c>).</summary>
internal enum UdpCloseReason
{
    /// <summary>No datagram either way for the idle timeout.</summary>
    Idle,

    /// <summary>The session table was full and this was the least recently used session.</summary>
    Evicted,

    /// <summary>The endpoint answered with ICMP unreachable.</summary>
    Unreachable,

    /// <summary>The endpoint left the service.</summary>
    EndpointRemoved,

    /// <summary>The service port stopped.</summary>
    Stopped,

    /// <summary>An unexpected socket error on the session.</summary>
    Error,
}

/// <summary>Why a datagram was not forwarded (<c>serviceproxy.udp.datagrams.dropped</c>).</summary>
internal enum UdpDropReason
{
    /// <summary>The service has no ready endpoint.</summary>
    NoEndpoints,

    /// <summary>The datagram filled the whole receive buffer, so it may have been cut.</summary>
    TooLarge,

    /// <summary>Sending to the endpoint or back to the client failed.</summary>
    SendFailed,

    /// <summary>The endpoint had answered with ICMP unreachable; the next datagram picks another.</summary>
    Unreachable,

    /// <summary>An ICMP error about a client, reported on the listen socket.</summary>
    ClientUnreachable,

    /// <summary>The client is outside the listener's allowed sources.</summary>
    SourceNotAllowed,
}

internal static class UdpReasonNames
{
    public static string ToTagValue(this UdpCloseReason reason) => reason switch
    {
        UdpCloseReason.Idle => "idle",
        UdpCloseReason.Evicted => "evicted",
        UdpCloseReason.Unreachable => "unreachable",
        UdpCloseReason.EndpointRemoved => "endpoint_removed",
        UdpCloseReason.Stopped => "stopped",
        _ => "error",
    };

    public static string ToTagValue(this UdpDropReason reason) => reason switch
    {
        UdpDropReason.NoEndpoints => "no_endpoints",
        UdpDropReason.TooLarge => "too_large",
        UdpDropReason.SendFailed => "send_failed",
        UdpDropReason.Unreachable => "unreachable",
        UdpDropReason.SourceNotAllowed => "source_not_allowed",
        _ => "client_unreachable",
    };
}
