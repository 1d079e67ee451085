using System.Net;

namespace ServiceProxy.Balancing;

/// <summary>Where a port's <see cref="OutlierDetector"/> reports what it does (logs and metrics). Called under the detector's lock.</summary>
internal interface IOutlierSink
{
    /// <summary><paramref name="endpoint"/> left the rotation for <paramref name="duration"/>, its <paramref name="ejections"/>-th ejection in a row.</summary>
    void Ejected(IPEndPoint endpoint, int failures, TimeSpan duration, int ejections);

    /// <summary>
    /// <paramref name="endpoint"/> is back in rotation: its time is up, or detection was turned off.
    /// <paramref name="removed"/>: it left the port's endpoints while ejected, so it is simply gone.
    /// </summary>
    void Returned(IPEndPoint endpoint, bool removed);
}
