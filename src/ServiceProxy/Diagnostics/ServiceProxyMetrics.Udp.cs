using System.Diagnostics;
using System.Diagnostics.Metrics;
using ServiceProxy.Configuration;
using ServiceProxy.Hosting;
using ServiceProxy.Udp;

namespace ServiceProxy.Diagnostics;

internal sealed partial class ServiceProxyMetrics
{
    private const string UdpReasonTag = "serviceproxy.reason";

    private UpDownCounter<long> _udpSessionsActive = null!;
    private Counter<long> _udpSessionsClosed = null!;
    private Counter<long> _udpDatagrams = null!;
    private Counter<long> _udpBytes = null!;
    private Counter<long> _udpDropped = null!;
    private Counter<long> _udpRefused = null!;

    /// <summary>The precomputed tags of one UDP service port, so recording allocates nothing.</summary>
    public UdpPortTags CreateUdpTags(ServicePortKey key) => new(key);

    public void UdpSessionOpened(UdpPortTags tags) => _udpSessionsActive.Add(1, tags.Service);

    public void UdpSessionClosed(UdpPortTags tags, UdpCloseReason reason)
    {
        _udpSessionsActive.Add(-1, tags.Service);
        if (_udpSessionsClosed.Enabled)
        {
            var withReason = tags.Service;
            withReason.Add(UdpReasonTag, reason.ToTagValue());
            _udpSessionsClosed.Add(1, withReason);
        }
    }

    /// <summary>A datagram forwarded from a client to its endpoint: direction <c>upstream</c>, as TCP's bytes.</summary>
    public void UdpForwardedToEndpoint(UdpPortTags tags, int bytes)
    {
        _udpDatagrams.Add(1, tags.Upstream);
        _udpBytes.Add(bytes, tags.Upstream);
    }

    /// <summary>A datagram forwarded from an endpoint back to its client: direction <c>downstream</c>.</summary>
    public void UdpForwardedToClient(UdpPortTags tags, int bytes)
    {
        _udpDatagrams.Add(1, tags.Downstream);
        _udpBytes.Add(bytes, tags.Downstream);
    }

    public void UdpDropped(UdpPortTags tags, UdpDropReason reason)
    {
        if (_udpDropped.Enabled)
        {
            var withReason = tags.Service;
            withReason.Add(UdpReasonTag, reason.ToTagValue());
            _udpDropped.Add(1, withReason);
        }
    }

    /// <summary>A datagram of a new flow dropped; <paramref name="limit"/> is the <see cref="LimitTag"/> value: <c>process</c> or <c>descriptors</c>.</summary>
    public void UdpRefused(UdpPortTags tags, string limit)
    {
        var withLimit = tags.Service;
        withLimit.Add(LimitTag, limit);
        _udpRefused.Add(1, withLimit);
    }

    partial void CreateUdpInstruments(Meter meter)
    {
        _udpSessionsActive = meter.CreateUpDownCounter<long>(
            "serviceproxy.udp.sessions.active", "{session}", "UDP sessions open now.");
        _udpSessionsClosed = meter.CreateCounter<long>(
            "serviceproxy.udp.sessions.closed", "{session}", "UDP sessions closed, by reason (idle, evicted, unreachable, endpoint_removed, stopped, error).");
        _udpDatagrams = meter.CreateCounter<long>(
            "serviceproxy.udp.datagrams", "{datagram}", "UDP datagrams forwarded, by direction (upstream: client to endpoint, downstream: endpoint to client).");
        _udpBytes = meter.CreateCounter<long>(
            "serviceproxy.udp.bytes", "By", "UDP payload bytes forwarded, by direction (upstream: client to endpoint, downstream: endpoint to client).");
        _udpDropped = meter.CreateCounter<long>(
            "serviceproxy.udp.datagrams.dropped", "{datagram}", "UDP datagrams not forwarded, by reason (no_endpoints, too_large, send_failed, unreachable, client_unreachable, source_not_allowed).");
        _udpRefused = meter.CreateCounter<long>(
            "serviceproxy.udp.sessions.refused", "{datagram}",
            "Datagrams of new UDP flows dropped because no session could be opened; serviceproxy.limit is process (the descriptor budget) or descriptors (none left).");
    }

    /// <summary>Tag lists of one UDP service port; TagList holds up to eight tags inline.</summary>
    internal sealed class UdpPortTags
    {
        public UdpPortTags(ServicePortKey key)
        {
            var service = ServicePortTags.For(key);
            var upstream = service;
            upstream.Add(UpstreamTag);
            var downstream = service;
            downstream.Add(DownstreamTag);
            Service = service;
            Upstream = upstream;
            Downstream = downstream;
        }

#pragma warning disable CA1051 // readonly fields, so `in TagList` passes them without a copy
        public readonly TagList Service;
        public readonly TagList Upstream;
        public readonly TagList Downstream;
#pragma warning restore CA1051
    }
}
