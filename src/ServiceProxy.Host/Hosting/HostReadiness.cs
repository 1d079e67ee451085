namespace ServiceProxy.Host.Hosting;

/// <summary>What <c>/readyz</c> waits for: each part of the host marks itself ready once.</summary>
internal sealed class HostReadiness
{
    public const string Manifests = "manifests";
    public const string DataPlane = "data-plane";
    public const string AdminApi = "admin-api";

    private readonly Lock _gate = new();
    private readonly HashSet<string> _pending = [Manifests, DataPlane, AdminApi];

    public IReadOnlyList<string> Pending
    {
        get
        {
            lock (_gate)
            {
                return [.. _pending.Order(StringComparer.Ordinal)];
            }
        }
    }

    public bool IsReady => Pending.Count == 0;

    public void MarkReady(string check)
    {
        lock (_gate)
        {
            _pending.Remove(check);
        }
    }
}
