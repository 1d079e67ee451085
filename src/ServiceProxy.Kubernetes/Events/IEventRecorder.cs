using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Events;

/// <summary>
/// Records Events about objects, as client-go's event recorder does: repeats are counted on one
/// Event, a burst of similar events (same object and reason, different messages) is combined, and
/// each source and object may record only so many before it is rate-limited. Recording never blocks
/// and never throws: an event that finds the recorder's queue full is dropped and counted.
/// </summary>
public interface IEventRecorder
{
    /// <summary>
    /// Records that <paramref name="reason"/> happened to <paramref name="involvedObject"/>.
    /// </summary>
    /// <param name="involvedObject">The object (<see cref="ObjectReference.To"/>); a missing uid is looked up when the object is in the store.</param>
    /// <param name="component">Who reports it (<c>svcproxy-prober</c>), shown as the event's source.</param>
    /// <param name="type"><see cref="Event.Normal"/> or <see cref="Event.Warning"/>.</param>
    /// <param name="reason">A short UpperCamelCase reason (<c>Unhealthy</c>).</param>
    /// <param name="message">What happened, for people.</param>
    void Record(ObjectReference involvedObject, string component, string type, string reason, string message);
}
