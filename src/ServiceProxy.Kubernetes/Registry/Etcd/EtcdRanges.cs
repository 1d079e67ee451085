using System.Net;
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
/// The allocation ranges in etcd: the cluster IPs and node ports (<c>ranges/serviceips</c>,
/// <c>ranges/servicenodeports</c>) as kube-apiserver keeps them, and the load-balancer pool
/// (<c>ranges/loadbalancerips</c>) the same way: RangeAllocation JSON whose data is the allocation
/// bitmap. Every Service write compares the three keys' mod_revision and rewrites them in its own
/// transaction, so the Services a writer allocated against are all the Services there are: two nodes
/// can never hand out one address or port, and a lost race is retried against the new state. The
/// allocations themselves are the <see cref="ServiceAllocator"/>'s, replayed from the stored Services
/// (a LoadBalancer address from its <c>status.loadBalancer.ingress</c>, written with the Service); the
/// bitmaps written are the result, and the start-up repair rewrites them from the stored Services
/// (freeing leaks). The replayed allocator and its bitmaps are kept between writes, tagged with the
/// ranges' mod_revisions they describe: while no other writer moved the ranges, a write costs one
/// transaction and no replay; a failed compare drops them and the next attempt replays the cache.
/// Callers serialize <see cref="PrepareAsync"/> and <see cref="Committed"/> (one Service write at a time).
/// </summary>
internal sealed class EtcdRanges(AllocationOptions options, EtcdKeys keys)
{
    private readonly ServiceCidr _cidr = ServiceCidr.Parse(options.ServiceCidr);
    private readonly PortRange _nodePorts = PortRange.Parse(options.NodePortRange);
    private readonly LoadBalancerPool _pool = LoadBalancerPool.Parse(options.LoadBalancerPool);

    // The ranges as of Revisions; null: unknown (start, a lost compare, a write whose outcome is unknown).
    private RangeState? _state;

    // The ranges' mod_revisions a failed transaction read back, so the next replay needs no read of its own.
    private RangeRevisions? _observed;

    /// <summary>The keys, in the order of <see cref="ReadOps"/> and of every compare and put.</summary>
    private ByteString[] Keys => [keys.ServiceIPs, keys.ServiceNodePorts, keys.LoadBalancerIPs];

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
        var releases = state.Allocator.LoadBalancerReleases;
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

        foreach (var service in touched)
        {
            Mark(state, service);
        }

        var values = Encode(state.ServiceIPs, state.NodePorts, state.LoadBalancerIPs);
        var revisions = state.Revisions.ToArray();
        return new PreparedRanges(
            next,
            [.. Keys.Select((key, i) => Unchanged(key, revisions[i]))],
            [.. Keys.Select((key, i) => Put(key, values[i]))],
            state,
            FreedLoadBalancerIP: state.Allocator.LoadBalancerReleases != releases && state.Allocator.FreeLoadBalancerIPs > 0);
    }

    /// <summary>The transaction of <paramref name="prepared"/> committed at <paramref name="revision"/>: its state is the ranges' now.</summary>
    public void Committed(PreparedRanges prepared, long revision) =>
        _state = prepared.State with { Revisions = new RangeRevisions(revision, revision, revision) };

    /// <summary>A transaction failed; the ranges' mod_revisions read back in its failure branch (see <see cref="ReadOps"/>), if it read them.</summary>
    public void Failed(RangeRevisions? observed)
    {
        _state = null;
        _observed = observed;
    }

    /// <summary>Range reads of the three keys, for a transaction's failure branch.</summary>
    public IEnumerable<RequestOp> ReadOps() => ReadAll().Success;

    /// <summary>The mod_revisions the range reads of <see cref="ReadOps"/> found, starting at response <paramref name="first"/> (0: no such key).</summary>
    public static RangeRevisions? Observed(TxnResponse response, int first) =>
        response.Responses.Count >= first + 3 && response.Responses.Skip(first).Take(3).All(r => r.ResponseRange is not null)
            ? new RangeRevisions(ModRevision(response, first), ModRevision(response, first + 1), ModRevision(response, first + 2))
            : null;

    /// <summary>
    /// Rewrites the ranges from the stored Services when they differ (a crash between steps, or a range
    /// changed by configuration). True when the pool had addresses marked that no Service holds: pending
    /// LoadBalancer Services may get one now.
    /// </summary>
    public async Task<bool> RepairAsync(EtcdObjectStore store, CancellationToken cancellationToken)
    {
        _state = null;
        var response = await store.TxnAsync(ReadAll(), cancellationToken).ConfigureAwait(false);
        var kvs = response.Responses.Select(r => r.ResponseRange.Kvs.FirstOrDefault()).ToArray();
        await store.WaitForRevisionAsync(kvs.Max(kv => kv?.ModRevision ?? 0), cancellationToken).ConfigureAwait(false);
        var values = Encode(store.Cache.List<Service>().Items);
        if (kvs.Zip(values).All(p => p.First?.Value.Span.SequenceEqual(p.Second) == true))
        {
            return false;
        }

        var txn = new TxnRequest();
        for (var i = 0; i < values.Length; i++)
        {
            txn.Compare.Add(Unchanged(Keys[i], kvs[i]?.ModRevision ?? 0));
            txn.Success.Add(Put(Keys[i], values[i]));
        }

        // Lost to a Service write: that write rewrote them from the same Services.
        var repaired = await store.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (!repaired.Succeeded)
        {
            return false;
        }

        Log.EtcdRangesRepaired(store.Logger, repaired.Header.Revision);
        return kvs[2] is { } pool && Leaked(pool.Value.Span, values[2]);
    }

    /// <summary>True when <paramref name="stored"/> marks a bit that <paramref name="repaired"/> does not.</summary>
    internal static bool Leaked(ReadOnlySpan<byte> stored, byte[] repaired)
    {
        try
        {
            var before = JsonSerializer.Deserialize(stored, RangeAllocationContext.Default.RangeAllocation)?.Data ?? [];
            var after = JsonSerializer.Deserialize(repaired, RangeAllocationContext.Default.RangeAllocation)!.Data;
            return before.Select((b, i) => b & ~(i < after.Length ? after[i] : 0)).Any(b => b != 0);
        }
        catch (JsonException)
        {
            return true;
        }
    }

    /// <summary>The ranges as the cache holds them, once it holds every Service write up to the ranges' revision.</summary>
    private async Task<RangeState> ReplayAsync(EtcdObjectStore store, CancellationToken cancellationToken)
    {
        var revisions = _observed ?? await ReadRevisionsAsync(store, cancellationToken).ConfigureAwait(false);
        _observed = null;
        await store.WaitForRevisionAsync(revisions.Max, cancellationToken).ConfigureAwait(false);

        var state = new RangeState(revisions, new ServiceAllocator(options), new AllocationBitmap(_cidr.Size), new AllocationBitmap(_nodePorts.Size), Bitmap(_pool));
        foreach (var service in store.Cache.List<Service>().Items)
        {
            // What each stored Service holds, claimed as its own restore claims it; one that no longer fits the ranges holds nothing.
            var (_, errors, transaction) = state.Allocator.Claim(service);
            if (errors.Count == 0)
            {
                transaction.Commit();
            }

            Mark(state, service);
        }

        return state;
    }

    /// <summary>Sets the bits of what <paramref name="service"/> holds or held to what the allocator holds now.</summary>
    private void Mark(RangeState state, Service service)
    {
        var allocator = state.Allocator;
        if (ServiceAllocator.HeldClusterIP(service) is { } address && _cidr.OffsetOf(address) is var offset and >= 0)
        {
            Set(state.ServiceIPs, offset, allocator.IsClusterIPAllocated(address));
        }

        foreach (var (_, port) in ServiceAllocator.HeldNodePorts(service))
        {
            if (_nodePorts.Contains(port))
            {
                // One bit per port, as kube-apiserver's: held while either protocol holds it.
                Set(state.NodePorts, port - _nodePorts.First, allocator.IsNodePortAllocated(Protocols.Tcp, port) || allocator.IsNodePortAllocated(Protocols.Udp, port)
                    || allocator.IsNodePortAllocated(Protocols.Sctp, port));
            }
        }

        if (state.LoadBalancerIPs is { } pool)
        {
            foreach (var ingress in allocator.HeldLoadBalancerIPs(service))
            {
                Set(pool, _pool.OffsetOf(ingress), allocator.IsLoadBalancerIPAllocated(ingress));
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

    /// <summary>The three values a repair writes: what the stored Services hold.</summary>
    internal byte[][] Encode(IEnumerable<Service> services)
    {
        var ips = new AllocationBitmap(_cidr.Size);
        var ports = new AllocationBitmap(_nodePorts.Size);
        var pool = Bitmap(_pool);
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

            // The address a LoadBalancer Service of svcproxy's class was given is the pool address in its status.
            foreach (var ingress in ServiceAllocator.IsOwnLoadBalancer(service) ? service.Status?.LoadBalancer?.Ingress ?? [] : [])
            {
                if (pool is not null && IPAddress.TryParse(ingress.Ip, out var ip) && _pool.OffsetOf(ip) is var at and >= 0)
                {
                    pool.TryAllocate(at);
                }
            }
        }

        return Encode(ips, ports, pool);
    }

    private byte[][] Encode(AllocationBitmap ips, AllocationBitmap ports, AllocationBitmap? pool) =>
    [
        JsonSerializer.SerializeToUtf8Bytes(new RangeAllocation(_cidr.ToString(), ips.ToBytes()), RangeAllocationContext.Default.RangeAllocation),
        JsonSerializer.SerializeToUtf8Bytes(new RangeAllocation(_nodePorts.ToString(), ports.ToBytes()), RangeAllocationContext.Default.RangeAllocation),
        JsonSerializer.SerializeToUtf8Bytes(new RangeAllocation(_pool.ToString(), pool?.ToBytes() ?? []), RangeAllocationContext.Default.RangeAllocation),
    ];

    /// <summary>The pool's bitmap; none for an empty pool.</summary>
    private static AllocationBitmap? Bitmap(LoadBalancerPool pool) => pool.Size > 0 ? new AllocationBitmap(pool.Size) : null;

    private async Task<RangeRevisions> ReadRevisionsAsync(EtcdObjectStore store, CancellationToken cancellationToken) =>
        Observed(await store.TxnAsync(ReadAll(), cancellationToken).ConfigureAwait(false), 0)!.Value;

    private TxnRequest ReadAll()
    {
        var txn = new TxnRequest();
        foreach (var key in Keys)
        {
            txn.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = key } });
        }

        return txn;
    }

    private static long ModRevision(TxnResponse response, int index) => response.Responses[index].ResponseRange.Kvs.FirstOrDefault()?.ModRevision ?? 0;

    /// <summary>The key is at <paramref name="modRevision"/> (0: absent, as etcd compares a missing key).</summary>
    private static Compare Unchanged(ByteString key, long modRevision) =>
        new() { Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = modRevision };

    private static RequestOp Put(ByteString key, byte[] value) =>
        new() { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFrom(value) } };
}

/// <summary>The mod_revisions of the three range keys (0: absent).</summary>
internal readonly record struct RangeRevisions(long ServiceIPs, long NodePorts, long LoadBalancerIPs)
{
    public long Max => Math.Max(ServiceIPs, Math.Max(NodePorts, LoadBalancerIPs));

    public long[] ToArray() => [ServiceIPs, NodePorts, LoadBalancerIPs];
}

/// <summary>The replayed allocator and the bitmaps of the ranges as of their keys' mod_revisions (no pool bitmap for an empty pool).</summary>
internal sealed record RangeState(RangeRevisions Revisions, ServiceAllocator Allocator, AllocationBitmap ServiceIPs, AllocationBitmap NodePorts, AllocationBitmap? LoadBalancerIPs);

/// <summary>
/// One Service write's part in the ranges: the allocated Service, what its transaction compares and puts,
/// the state it leaves, and whether it gave a LoadBalancer address back (pending Services may get it).
/// </summary>
internal sealed record PreparedRanges(Service? Allocated, List<Compare> Compares, List<RequestOp> Puts, RangeState State, bool FreedLoadBalancerIP);

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
