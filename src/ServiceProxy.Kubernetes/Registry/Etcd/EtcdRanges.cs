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
/// </summary>
internal sealed class EtcdRanges(AllocationOptions options, EtcdKeys keys)
{
    private readonly ServiceCidr _cidr = ServiceCidr.Parse(options.ServiceCidr);
    private readonly PortRange _nodePorts = PortRange.Parse(options.NodePortRange);

    /// <summary>
    /// Allocates for <paramref name="next"/> (null: a delete of <paramref name="old"/>) against every
    /// other stored Service, once the cache holds every Service write up to the ranges' revision.
    /// Returns the allocated Service and the compares and puts to add to the write's transaction.
    /// </summary>
    public async Task<(Service? Allocated, (List<Compare> Compares, List<RequestOp> Puts) Ops)> PrepareAsync(
        EtcdObjectStore store, Service? next, Service? old, CancellationToken cancellationToken)
    {
        var (ipsRevision, portsRevision) = await ReadRevisionsAsync(store, cancellationToken).ConfigureAwait(false);
        await store.WaitForRevisionAsync(Math.Max(ipsRevision, portsRevision), cancellationToken).ConfigureAwait(false);

        var subject = next ?? old!;
        var key = ObjectWrites.KeyOf(subject);
        var others = store.Cache.List<Service>().Items.Where(s => ObjectWrites.KeyOf(s) != key).ToList();
        if (next is not null)
        {
            // The old object's allocations are held while it is updated: what it keeps stays, what it drops is freed.
            var allocator = Replay(old is null ? others : others.Append(old));
            var (allocated, errors, transaction) = allocator.Allocate(next, old);
            if (errors.Count > 0)
            {
                throw StoreErrors.Invalid("Service", key.Name, errors);
            }

            transaction.Commit();
            next = allocated;
            others.Add(allocated);
        }

        var (ips, ports) = Encode(others);
        return (next, (
            [Unchanged(keys.ServiceIPs, ipsRevision), Unchanged(keys.ServiceNodePorts, portsRevision)],
            [Put(keys.ServiceIPs, ips), Put(keys.ServiceNodePorts, ports)]));
    }

    /// <summary>Rewrites both ranges from the stored Services when they differ (a crash between steps, or a range changed by configuration).</summary>
    public async Task RepairAsync(EtcdObjectStore store, CancellationToken cancellationToken)
    {
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

    private ServiceAllocator Replay(IEnumerable<Service> services)
    {
        var allocator = new ServiceAllocator(options);
        foreach (var service in services)
        {
            // What each stored Service holds, claimed as its own restore claims it; one that no longer fits the ranges holds nothing.
            var (_, errors, transaction) = allocator.Allocate(service, null);
            if (errors.Count == 0)
            {
                transaction.Commit();
            }
        }

        return allocator;
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

        return (
            JsonSerializer.SerializeToUtf8Bytes(new RangeAllocation(_cidr.ToString(), ips.ToBytes()), RangeAllocationContext.Default.RangeAllocation),
            JsonSerializer.SerializeToUtf8Bytes(new RangeAllocation(_nodePorts.ToString(), ports.ToBytes()), RangeAllocationContext.Default.RangeAllocation));
    }

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
