using System.Text.Json;
using System.Text.Json.Serialization;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry.Etcd;

/// <summary>
/// The cluster IP and node port ranges in etcd (<c>ranges/serviceips</c>, <c>ranges/servicenodeports</c>),
/// as kube-apiserver keeps them: RangeAllocation JSON whose data is the allocation bitmap. Every
/// Service write compares both keys' mod_revision and rewrites them in its own transaction, so the
/// Services a writer allocated against are all the Services there are: two nodes can never hand out
/// one address or port, and a lost race is retried against the new state. The allocations themselves
/// are the <see cref="ServiceAllocator"/>'s, replayed from the stored Services; the bitmaps written are
/// the result, and the start-up repair rewrites them from the stored Services (freeing leaks).
/// The replayed allocator and its bitmaps are kept between writes, tagged with the ranges'
/// mod_revision they describe: while no other writer moved the ranges, a write costs one
/// transaction and no replay; a failed compare drops them and the next attempt replays the cache.
/// Callers serialize <see cref="PrepareAsync"/> and <see cref="Committed"/> (one Service write at a time).
/// </summary>
internal sealed class EtcdRanges(AllocationOptions options, EtcdKeys keys)
{
    private readonly ServiceCidr _cidr = ServiceCidr.Parse(options.ServiceCidr);
    private readonly PortRange _nodePorts = PortRange.Parse(options.NodePortRange);

    // The ranges as of Revisions; null: unknown (start, a lost compare, a write whose outcome is unknown).
    private RangeState? _state;

    // The ranges' mod_revisions a failed transaction read back, so the next replay needs no read of its own.
    private (long ServiceIPs, long NodePorts)? _observed;

    /// <summary>
    /// Allocates for <paramref name="next"/> (null: a delete of <paramref name="old"/>) against every
    /// other stored Service. Returns the allocated Service, the compares and puts to add to the write's
    /// transaction, and the state to hand to <see cref="Committed"/> once that transaction succeeded.
    /// </summary>
    public async Task<PreparedRanges> PrepareAsync(EtcdObjectStore store, Service? next, Service? old, CancellationToken cancellationToken)
    {
        var state = _state ?? await ReplayAsync(store, cancellationToken).ConfigureAwait(false);

        // From here the kept state describes a write that may not commit: it is handed back only by Committed.
        _state = null;
        var revisions = state.Revisions;
        var touched = new List<Service>(2);
        if (next is not null)
        {
            // The old object's allocations are held while it is updated: what it keeps stays, what it drops is freed.
            var (allocated, errors, transaction) = state.Allocator.Allocate(next, old);
            if (errors.Count > 0)
            {
                _state = state; // Nothing stayed allocated.
                throw StoreErrors.Invalid("Service", ObjectWrites.KeyOf(next).Name, errors);
            }

            transaction.Commit();
            next = allocated;
            touched.Add(allocated);
        }
        else
        {
            state.Allocator.Release(old!);
        }

        if (old is not null)
        {
            touched.Add(old);
        }

        var ips = state.ServiceIPs;
        var ports = state.NodePorts;
        foreach (var service in touched)
        {
            Mark(state.Allocator, ips, ports, service);
        }

        var (ipsValue, portsValue) = Encode(ips, ports);
        return new PreparedRanges(
            next,
            [Unchanged(keys.ServiceIPs, revisions.ServiceIPs), Unchanged(keys.ServiceNodePorts, revisions.NodePorts)],
            [Put(keys.ServiceIPs, ipsValue), Put(keys.ServiceNodePorts, portsValue)],
            state);
    }

    /// <summary>The transaction of <paramref name="prepared"/> committed at <paramref name="revision"/>: its state is the ranges' now.</summary>
    public void Committed(PreparedRanges prepared, long revision) =>
        _state = prepared.State with { Revisions = (revision, revision) };

    /// <summary>A transaction failed; the ranges' keys read back in its failure branch (see <see cref="ReadOps"/>), if it read them.</summary>
    public void Failed(long? serviceIPsRevision, long? nodePortsRevision)
    {
        _state = null;
        _observed = serviceIPsRevision is { } ips && nodePortsRevision is { } ports ? (ips, ports) : null;
    }

    /// <summary>Range reads of both keys, for a transaction's failure branch.</summary>
    public IEnumerable<RequestOp> ReadOps() => ReadBoth().Success;

    /// <summary>Rewrites both ranges from the stored Services when they differ (a crash between steps, or a range changed by configuration).</summary>
    public async Task RepairAsync(EtcdObjectStore store, CancellationToken cancellationToken)
    {
        _state = null;
        var response = await store.TxnAsync(ReadBoth(), cancellationToken).ConfigureAwait(false);
        var ipsKv = response.Responses[0].ResponseRange.Kvs.FirstOrDefault();
        var portsKv = response.Responses[1].ResponseRange.Kvs.FirstOrDefault();
        await store.WaitForRevisionAsync(Math.Max(ipsKv?.ModRevision ?? 0, portsKv?.ModRevision ?? 0), cancellationToken).ConfigureAwait(false);
        var (ips, ports) = Encode(store.Cache.List<Service>().Items);
        if (ipsKv?.Value.Span.SequenceEqual(ips) == true && portsKv?.Value.Span.SequenceEqual(ports) == true)
        {
            return;
        }

        var txn = new TxnRequest();
        txn.Compare.Add(Unchanged(keys.ServiceIPs, ipsKv?.ModRevision ?? 0));
        txn.Compare.Add(Unchanged(keys.ServiceNodePorts, portsKv?.ModRevision ?? 0));
        txn.Success.Add(Put(keys.ServiceIPs, ips));
        txn.Success.Add(Put(keys.ServiceNodePorts, ports));

        // Lost to a Service write: that write rewrote both from the same Services.
        var repaired = await store.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (repaired.Succeeded)
        {
            Log.EtcdRangesRepaired(store.Logger, repaired.Header.Revision);
        }
    }

    /// <summary>The ranges as the cache holds them, once it holds every Service write up to the ranges' revision.</summary>
    private async Task<RangeState> ReplayAsync(EtcdObjectStore store, CancellationToken cancellationToken)
    {
        var revisions = _observed ?? await ReadRevisionsAsync(store, cancellationToken).ConfigureAwait(false);
        _observed = null;
        await store.WaitForRevisionAsync(Math.Max(revisions.ServiceIPs, revisions.NodePorts), cancellationToken).ConfigureAwait(false);

        var allocator = new ServiceAllocator(options);
        var ips = new AllocationBitmap(_cidr.Size);
        var ports = new AllocationBitmap(_nodePorts.Size);
        foreach (var service in store.Cache.List<Service>().Items)
        {
            // What each stored Service holds, claimed as its own restore claims it; one that no longer fits the ranges holds nothing.
            var (_, errors, transaction) = allocator.Allocate(service, null);
            if (errors.Count == 0)
            {
                transaction.Commit();
            }

            Mark(allocator, ips, ports, service);
        }

        return new RangeState(revisions, allocator, ips, ports);
    }

    /// <summary>Sets the bits of what <paramref name="service"/> holds or held to what the allocator holds now.</summary>
    private void Mark(ServiceAllocator allocator, AllocationBitmap ips, AllocationBitmap ports, Service service)
    {
        if (ServiceAllocator.HeldClusterIP(service) is { } address && _cidr.OffsetOf(address) is var offset and >= 0)
        {
            Set(ips, offset, allocator.IsClusterIPAllocated(address));
        }

        foreach (var (_, port) in ServiceAllocator.HeldNodePorts(service))
        {
            if (_nodePorts.Contains(port))
            {
                // One bit per port, as kube-apiserver's: held while either protocol holds it.
                Set(ports, port - _nodePorts.First, allocator.IsNodePortAllocated(Protocols.Tcp, port) || allocator.IsNodePortAllocated(Protocols.Udp, port)
                    || allocator.IsNodePortAllocated(Protocols.Sctp, port));
            }
        }
    }

    private static void Set(AllocationBitmap bitmap, int offset, bool allocated)
    {
        if (allocated)
        {
            bitmap.TryAllocate(offset);
        }
        else
        {
            bitmap.Release(offset);
        }
    }

    private (byte[] ServiceIPs, byte[] NodePorts) Encode(IEnumerable<Service> services)
    {
        var ips = new AllocationBitmap(_cidr.Size);
        var ports = new AllocationBitmap(_nodePorts.Size);
        foreach (var service in services)
        {
            if (ServiceAllocator.HeldClusterIP(service) is { } address && _cidr.OffsetOf(address) is var offset and >= 0)
            {
                ips.TryAllocate(offset);
            }

            foreach (var (_, port) in ServiceAllocator.HeldNodePorts(service))
            {
                if (_nodePorts.Contains(port))
                {
                    ports.TryAllocate(port - _nodePorts.First);
                }
            }
        }

        return Encode(ips, ports);
    }

    private (byte[] ServiceIPs, byte[] NodePorts) Encode(AllocationBitmap ips, AllocationBitmap ports) => (
        JsonSerializer.SerializeToUtf8Bytes(new RangeAllocation(_cidr.ToString(), ips.ToBytes()), RangeAllocationContext.Default.RangeAllocation),
        JsonSerializer.SerializeToUtf8Bytes(new RangeAllocation(_nodePorts.ToString(), ports.ToBytes()), RangeAllocationContext.Default.RangeAllocation));

    private async Task<(long ServiceIPs, long NodePorts)> ReadRevisionsAsync(EtcdObjectStore store, CancellationToken cancellationToken)
    {
        var response = await store.TxnAsync(ReadBoth(), cancellationToken).ConfigureAwait(false);
        return (
            response.Responses[0].ResponseRange.Kvs.FirstOrDefault()?.ModRevision ?? 0,
            response.Responses[1].ResponseRange.Kvs.FirstOrDefault()?.ModRevision ?? 0);
    }

    private TxnRequest ReadBoth()
    {
        var txn = new TxnRequest();
        txn.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = keys.ServiceIPs } });
        txn.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = keys.ServiceNodePorts } });
        return txn;
    }

    /// <summary>The key is at <paramref name="modRevision"/> (0: absent, as etcd compares a missing key).</summary>
    private static Compare Unchanged(ByteString key, long modRevision) =>
        new() { Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = modRevision };

    private static RequestOp Put(ByteString key, byte[] value) =>
        new() { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFrom(value) } };
}

/// <summary>The replayed allocator and the bitmaps of both ranges as of their keys' mod_revisions.</summary>
internal sealed record RangeState((long ServiceIPs, long NodePorts) Revisions, ServiceAllocator Allocator, AllocationBitmap ServiceIPs, AllocationBitmap NodePorts);

/// <summary>One Service write's part in the ranges: the allocated Service, what its transaction compares and puts, and the state it leaves.</summary>
internal sealed record PreparedRanges(Service? Allocated, List<Compare> Compares, List<RequestOp> Puts, RangeState State);

/// <summary>Kubernetes' RangeAllocation: the range and its bitmap.</summary>
internal sealed record RangeAllocation(
    [property: JsonPropertyName("range")] string Range,
    [property: JsonPropertyName("data")] byte[] Data)
{
    [JsonPropertyName("kind")]
    public string Kind => "RangeAllocation";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion => "v1";
}

[JsonSerializable(typeof(RangeAllocation))]
internal sealed partial class RangeAllocationContext : JsonSerializerContext;
