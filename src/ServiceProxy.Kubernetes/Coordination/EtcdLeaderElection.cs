using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServiceProxy.Kubernetes.Diagnostics;

namespace ServiceProxy.Kubernetes.Coordination;

/// <summary>
/// Leader election on an etcd lease. A candidate grants a lease whose TTL is the lease duration and
/// puts the election key bound to it in a transaction that succeeds only if the key is absent
/// (<c>create_revision == 0</c>); the winner keeps the lease alive every retry period and stops
/// leading once it has gone a renew deadline without a successful keep-alive (or finds the key
/// gone or bound to another lease), which is before the lease can expire and another win. The
/// others watch the key and try again as soon as it is deleted (the leader's lease revoked on
/// shutdown, or expired after it died), and at the latest one lease duration later if the watch
/// fails. Identities are unique per process (node name and a random suffix, as client-go's), so
/// a restarted process campaigns anew.
/// </summary>
internal sealed class EtcdLeaderElection : BackgroundService, ILeaderElection
{
    private readonly LeaderElectionOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EtcdClient _client;
    private readonly string[] _endpoints;
    private readonly ByteString _key;
    private readonly ByteString _identity;
    private readonly TimeSpan _retry;
    private TaskCompletionSource<CancellationToken> _term = NewTerm();
    private volatile bool _leading;
    private int _watchEndpoint;

    public EtcdLeaderElection(string identity, LeaderElectionOptions options, TimeProvider? timeProvider, ILogger? logger)
    {
        Identity = identity;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _endpoints = (options.EtcdServers ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        _client = new EtcdClient(string.Join(',', _endpoints), configureChannelOptions: null);
        _key = ByteString.CopyFromUtf8(options.Key);
        _identity = ByteString.CopyFromUtf8(identity);
        _retry = options.RetryPeriod < options.RenewDeadline / 2 ? options.RetryPeriod : options.RenewDeadline / 2;
    }

    public string Identity { get; }

    public bool IsLeader => _leading;

    public ValueTask<CancellationToken> WaitForTermAsync(CancellationToken cancellationToken) =>
        new(Volatile.Read(ref _term).Task.WaitAsync(cancellationToken));

    public override void Dispose()
    {
        base.Dispose();
        _client.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Campaigning(_logger, Identity, _options.Key, _options.LeaseDuration);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (leaseId, revision) = await CampaignAsync(stoppingToken).ConfigureAwait(false);
                if (leaseId != 0)
                {
                    await LeadAsync(leaseId, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                await WaitForVacancyAsync(revision, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or OperationCanceledException or HttpRequestException)
            {
                Log.ElectionFailed(_logger, _options.Key, e);
                await Task.Delay(_retry, _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The lease this process now leads with, or 0 and the revision at which another held the key.</summary>
    private async Task<(long LeaseId, long Revision)> CampaignAsync(CancellationToken cancellationToken)
    {
        var ttl = (long)Math.Ceiling(_options.LeaseDuration.TotalSeconds);
        var lease = await _client.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttl }, deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare
        {
            Key = _key,
            Target = Compare.Types.CompareTarget.Create,
            Result = Compare.Types.CompareResult.Equal,
            CreateRevision = 0,
        });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = _key, Value = _identity, Lease = lease.ID } });
        var result = await _client.TransactionAsync(txn, deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return (lease.ID, result.Header.Revision);
        }

        await RevokeAsync(lease.ID).ConfigureAwait(false);
        return (0, result.Header.Revision);
    }

    private async Task LeadAsync(long leaseId, CancellationToken stoppingToken)
    {
        using var term = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        _leading = true;
        Volatile.Read(ref _term).TrySetResult(term.Token);
        Log.BecameLeader(_logger, Identity, _options.Key);
        var lastRenewal = _time.GetUtcNow();
        try
        {
            while (true)
            {
                await Task.Delay(_retry, _time, stoppingToken).ConfigureAwait(false);
                if (await RenewAsync(leaseId, lastRenewal, stoppingToken).ConfigureAwait(false))
                {
                    lastRenewal = _time.GetUtcNow();
                }
                else if (_time.GetUtcNow() - lastRenewal >= _options.RenewDeadline)
                {
                    Log.LostLeadership(_logger, Identity, _time.GetUtcNow() - lastRenewal);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stepping down: give the lease back so another candidate takes over at once.
            await RevokeAsync(leaseId).ConfigureAwait(false);
        }
        finally
        {
            _leading = false;
            Volatile.Write(ref _term, NewTerm());
            await term.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One keep-alive within what is left of the renew deadline, then a check that the key is still ours.</summary>
    private async Task<bool> RenewAsync(long leaseId, DateTimeOffset lastRenewal, CancellationToken stoppingToken)
    {
        var left = _options.RenewDeadline - (_time.GetUtcNow() - lastRenewal);
        if (left <= TimeSpan.Zero)
        {
            return false;
        }

        using var call = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        call.CancelAfter(left);
        try
        {
            long ttl = 0;
            await _client.LeaseKeepAlive(new LeaseKeepAliveRequest { ID = leaseId }, response => ttl = response.TTL, call.Token).ConfigureAwait(false);
            if (ttl <= 0)
            {
                return false; // The lease expired: another candidate may hold the key already.
            }

            var current = await _client.GetAsync(new RangeRequest { Key = _key }, cancellationToken: call.Token).ConfigureAwait(false);
            return current.Kvs.Count == 1 && current.Kvs[0].Lease == leaseId;
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is RpcException or OperationCanceledException or HttpRequestException or InvalidOperationException)
        {
            Log.RenewFailed(_logger, Identity, e.Message);
            return false;
        }
    }

    /// <summary>Returns once the key is deleted after <paramref name="revision"/>, or after a lease duration at the latest.</summary>
    private async Task WaitForVacancyAsync(long revision, CancellationToken stoppingToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        wait.CancelAfter(_options.LeaseDuration);
        var endpoint = _endpoints[_watchEndpoint % _endpoints.Length];
        try
        {
            using var channel = GrpcChannel.ForAddress(endpoint);
            using var call = new Watch.WatchClient(channel).Watch(cancellationToken: wait.Token);
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = _key, StartRevision = revision + 1 } }, wait.Token).ConfigureAwait(false);
            while (await call.ResponseStream.MoveNext(wait.Token).ConfigureAwait(false))
            {
                var response = call.ResponseStream.Current;
                if (response.Canceled || response.Events.Any(e => e.Type == Mvccpb.Event.Types.EventType.Delete))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is RpcException or OperationCanceledException or HttpRequestException or InvalidOperationException)
        {
            if (!wait.IsCancellationRequested)
            {
                // This endpoint failed: watch through the next one, after a pause so a dead cluster is not spun on.
                _watchEndpoint++;
                await Task.Delay(_retry, _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RevokeAsync(long leaseId)
    {
        try
        {
            await _client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = leaseId }, deadline: Deadline()).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // Unrevoked, the lease expires after its TTL all the same.
        }
    }

    private DateTime Deadline() => DateTime.UtcNow + _options.RenewDeadline;

    private static TaskCompletionSource<CancellationToken> NewTerm() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
