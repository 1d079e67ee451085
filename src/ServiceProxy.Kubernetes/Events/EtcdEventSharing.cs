using System.Text.Json;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Mvccpb;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Registry.Etcd;

namespace ServiceProxy.Kubernetes.Events;

/// <summary>
/// Cluster mode: the Events every node records, shared through etcd as kube-apiserver keeps them,
/// one key per Event under <c>PREFIX/events/NAMESPACE/NAME</c> with a lease that ends it
/// <see cref="EventOptions.Ttl"/> after it was last recorded (one lease granted per minute, shared by
/// the Events of that minute, as kube-apiserver's lease manager reuses leases). This node's Events
/// go out from its <see cref="EventStore"/>'s own watch, best effort: when etcd is slow or away they
/// are dropped and counted, never queued without bound, and recording never waits. The other
/// nodes' Events come in through an etcd watch and are kept in the same store, so every node's API
/// lists, gets and watches every node's Events.
/// </summary>
internal sealed class EtcdEventSharing : BackgroundService
{
    private const int MaxEventBytes = 64 * 1024;
    private static readonly TimeSpan LeaseReuse = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RetryMin = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan RetryMax = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    private readonly EventStore _events;
    private readonly EtcdConnection _connection;
    private readonly string _prefix;
    private readonly ByteString _start;
    private readonly ByteString _end;
    private readonly string _host;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private (long Id, DateTimeOffset Granted)? _lease;
    private long _dropped;

    public EtcdEventSharing(EventStore events, EtcdOptions etcd, EventOptions options, TimeProvider? time, ILogger logger)
    {
        _events = events;
        _connection = new EtcdConnection(etcd);
        _prefix = etcd.Prefix.TrimEnd('/') + "/events/";
        _start = ByteString.CopyFromUtf8(_prefix);
        _end = ByteString.CopyFromUtf8(_prefix[..^1] + "0"); // '0' follows '/': the end of the prefix's range
        _host = string.IsNullOrEmpty(options.Host) ? Environment.MachineName : options.Host;
        _ttl = options.Ttl;
        _time = time ?? TimeProvider.System;
        _logger = logger;
    }

    /// <summary>This node's Events that could not be written to etcd.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public override void Dispose()
    {
        base.Dispose();
        _connection.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Task.Run(() => KeepAsync(ShareAsync, stoppingToken), stoppingToken), Task.Run(() => KeepAsync(FollowAsync, stoppingToken), stoppingToken));

    /// <summary>Runs <paramref name="loop"/> again after each failure, with a growing pause, until stopped.</summary>
    private async Task KeepAsync(Func<CancellationToken, Task> loop, CancellationToken stopping)
    {
        var pause = RetryMin;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await loop(stopping).ConfigureAwait(false);
                pause = RetryMin;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Sharing Events is best effort: no failure of it may stop the host that carries the traffic.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.EtcdEventsNotShared(_logger, e.Message, Dropped);
            }

            await Task.Delay(pause, _time, stopping).ConfigureAwait(false);
            pause = pause * 2 > RetryMax ? RetryMax : pause * 2;
        }
    }

    /// <summary>This node's Events to etcd: those kept now, then each change as it comes.</summary>
    private async Task ShareAsync(CancellationToken stopping)
    {
        var from = _events.ResourceVersion;
        foreach (var e in _events.List().Items)
        {
            await PutAsync(e, stopping).ConfigureAwait(false);
        }

        // The store ends a watch that falls behind (Gone): the loop starts over from what is kept then.
        await foreach (var change in _events.WatchAsync(null, from, stopping).ConfigureAwait(false))
        {
            if (change.Type != WatchEventType.Deleted && change.Object is Event e)
            {
                await PutAsync(e, stopping).ConfigureAwait(false);
            }
        }
    }

    private async Task PutAsync(Event e, CancellationToken stopping)
    {
        if (e.Source?.Host != _host)
        {
            return; // Another node's, kept here from the watch.
        }

        try
        {
            var lease = await LeaseAsync(stopping).ConfigureAwait(false);
            var value = JsonSerializer.SerializeToUtf8Bytes(e, KubeJson.Options);
            await _connection.KV.PutAsync(
                new PutRequest { Key = ByteString.CopyFromUtf8(_prefix + e.Metadata.Namespace + "/" + e.Metadata.Name), Value = ByteString.CopyFrom(value), Lease = lease },
                deadline: Deadline(), cancellationToken: stopping).ConfigureAwait(false);
        }
        catch (RpcException ex) when (!stopping.IsCancellationRequested)
        {
            // Best effort: this Event stays on this node only; the next ones try again.
            _lease = null;
            var dropped = Interlocked.Increment(ref _dropped);
            if ((dropped & (dropped - 1)) == 0)
            {
                Log.EtcdEventsNotShared(_logger, ex.Status.Detail, dropped);
            }
        }
    }

    /// <summary>A lease that outlives every Event put under it by the TTL: granted once a minute, for the TTL and that minute.</summary>
    private async Task<long> LeaseAsync(CancellationToken stopping)
    {
        var now = _time.GetUtcNow();
        if (_lease is { } lease && now - lease.Granted < LeaseReuse)
        {
            return lease.Id;
        }

        var granted = await _connection.Lease.LeaseGrantAsync(
            new LeaseGrantRequest { TTL = (long)Math.Ceiling((_ttl + LeaseReuse).TotalSeconds) }, deadline: Deadline(), cancellationToken: stopping).ConfigureAwait(false);
        _lease = (granted.ID, now);
        return granted.ID;
    }

    /// <summary>The other nodes' Events into the store: a list, then a watch from its revision.</summary>
    private async Task FollowAsync(CancellationToken stopping)
    {
        var listed = await _connection.KV.RangeAsync(new RangeRequest { Key = _start, RangeEnd = _end }, deadline: Deadline(), cancellationToken: stopping).ConfigureAwait(false);
        var count = 0;
        foreach (var kv in listed.Kvs)
        {
            count += Apply(kv) ? 1 : 0;
        }

        Log.EtcdEventsFollowing(_logger, _prefix, count, listed.Header.Revision);
        using var call = _connection.Watch.Watch(new Metadata { { "hasleader", "true" } }, cancellationToken: stopping);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = _start, RangeEnd = _end, StartRevision = listed.Header.Revision + 1, PrevKv = true },
        }, stopping).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(stopping).ConfigureAwait(false))
        {
            var response = call.ResponseStream.Current;
            if (response.Canceled || response.CompactRevision != 0)
            {
                throw new InvalidOperationException("the Events watch ended: " + (response.CancelReason is { Length: > 0 } r ? r : "compacted"));
            }

            foreach (var change in response.Events)
            {
                if (change.Type == Mvccpb.Event.Types.EventType.Put)
                {
                    Apply(change.Kv);
                }
                else if (change.PrevKv is { } previous && Decode(previous) is { } gone && gone.Source?.Host != _host)
                {
                    _events.Remove(gone.Metadata.Namespace!, gone.Metadata.Name!);
                }
            }
        }
    }

    /// <summary>Keeps another node's Event; false for this node's own or what is not an Event.</summary>
    private bool Apply(KeyValue kv)
    {
        if (Decode(kv) is not { } e || e.Source?.Host == _host)
        {
            return false;
        }

        _events.Apply(e);
        return true;
    }

    private static Event? Decode(KeyValue kv)
    {
        if (kv.Value.Length is 0 or > MaxEventBytes)
        {
            return null;
        }

        try
        {
            var e = JsonSerializer.Deserialize<Event>(kv.Value.Span, KubeJson.Options);
            return e?.Metadata is { Name.Length: > 0, Namespace.Length: > 0 } ? e : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private DateTime Deadline() => DateTime.UtcNow + CallTimeout;
}
