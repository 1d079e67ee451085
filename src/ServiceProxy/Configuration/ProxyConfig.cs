using System.Collections.Immutable;
using Microsoft.Extensions.Primitives;

namespace ServiceProxy.Configuration;

/// <summary>An immutable snapshot of every service port to serve, with a token that fires when it is stale.</summary>
public sealed class ProxyConfig
{
    private readonly Func<ImmutableArray<ServicePortConfig>>? _portsFactory;
    private ImmutableArray<ServicePortConfig> _ports;

    /// <summary>A snapshot of <paramref name="ports"/>, stale once <paramref name="changeToken"/> fires.</summary>
    public ProxyConfig(long version, ImmutableArray<ServicePortConfig> ports, IChangeToken changeToken)
        : this(version, ports, changeToken, changes: null)
    {
    }

    /// <summary>
    /// A snapshot of <paramref name="ports"/> that also says what <paramref name="changes"/> since an
    /// earlier snapshot, so the data plane touches only those ports.
    /// </summary>
    public ProxyConfig(long version, ImmutableArray<ServicePortConfig> ports, IChangeToken changeToken, ProxyConfigChanges? changes)
    {
        Version = version;
        _ports = ports.IsDefault ? [] : ports;
        ChangeToken = changeToken;
        Changes = changes;
    }

    /// <summary>
    /// A snapshot whose <see cref="Ports"/> are built by <paramref name="ports"/> on first read: a
    /// consumer that applies <paramref name="changes"/> never reads them, so a provider with many
    /// ports publishes a change without copying them all.
    /// </summary>
    public ProxyConfig(long version, Func<ImmutableArray<ServicePortConfig>> ports, IChangeToken changeToken, ProxyConfigChanges? changes)
    {
        ArgumentNullException.ThrowIfNull(ports);
        Version = version;
        _portsFactory = ports;
        ChangeToken = changeToken;
        Changes = changes;
    }

    /// <summary>The registry resourceVersion this snapshot reflects (or any increasing number).</summary>
    public long Version { get; }

    /// <summary>Every service port to serve; a port missing from it is stopped.</summary>
    public ImmutableArray<ServicePortConfig> Ports
    {
        get
        {
            if (_ports.IsDefault)
            {
                ImmutableInterlocked.InterlockedInitialize(ref _ports, _portsFactory!());
            }

            return _ports;
        }
    }

    /// <summary>
    /// What changed since an earlier snapshot (<see cref="ProxyConfigChanges.BaseVersion"/>); null: unknown,
    /// the consumer diffs <see cref="Ports"/> in full. When set, it must describe exactly how
    /// <see cref="Ports"/> differs from that snapshot's.
    /// </summary>
    public ProxyConfigChanges? Changes { get; }

    /// <summary>Fires once a newer snapshot is available from the provider.</summary>
    public IChangeToken ChangeToken { get; }
}

/// <summary>Source of <see cref="ProxyConfig"/> snapshots (YARP's IProxyConfigProvider pattern).</summary>
public interface IProxyConfigProvider
{
    /// <summary>
    /// The current snapshot. Called again each time the previous snapshot's
    /// <see cref="ProxyConfig.ChangeToken"/> fires; must be cheap and thread-safe.
    /// </summary>
    ProxyConfig GetConfig();
}
