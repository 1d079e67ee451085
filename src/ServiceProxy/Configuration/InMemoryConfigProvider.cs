using System.Collections.Immutable;
using Microsoft.Extensions.Primitives;

namespace ServiceProxy.Configuration;

/// <summary>
/// A provider for embedders who build service ports in code: call <see cref="Update"/> with the
/// full new set; the data plane picks it up through the change token.
/// </summary>
public sealed class InMemoryConfigProvider : IProxyConfigProvider
{
    private readonly Lock _gate = new();
    private ProxyConfig _config;
    private CancellationTokenSource _changed = new();

    /// <summary>Starts with <paramref name="ports"/> (none when null) as snapshot version 1.</summary>
    public InMemoryConfigProvider(IEnumerable<ServicePortConfig>? ports = null)
    {
        _config = new ProxyConfig(1, [.. ports ?? []], new CancellationChangeToken(_changed.Token));
    }

    /// <inheritdoc/>
    public ProxyConfig GetConfig() => Volatile.Read(ref _config);

    /// <summary>Replaces the whole set of service ports.</summary>
    public void Update(IEnumerable<ServicePortConfig> ports)
    {
        CancellationTokenSource old;
        lock (_gate)
        {
            old = _changed;
            _changed = new CancellationTokenSource();
            Volatile.Write(ref _config, new ProxyConfig(_config.Version + 1, [.. ports], new CancellationChangeToken(_changed.Token)));
        }

        old.Cancel();
        old.Dispose();
    }

    /// <summary>The ports of the current snapshot.</summary>
    public ImmutableArray<ServicePortConfig> Ports => GetConfig().Ports;
}
