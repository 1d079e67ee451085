using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Admin.ServerSideApply;

/// <summary>
/// Keeps <c>metadata.managedFields</c> as kube-apiserver's field manager does. An update
/// (create, replace, patch) gives its manager the fields it changed and takes them from every
/// other manager; an apply merges the configuration into the live object, makes its manager the
/// owner of exactly the fields it applied, removes the fields it applied before and no longer
/// does (unless another applier owns them), and fails with a conflict when it would change a
/// field another manager owns, unless forced.
/// </summary>
internal sealed class FieldManager(TypeSchema schema)
{
    /// <summary>Update managers kept apart; older ones are merged into <see cref="AncientChanges"/> (kube-apiserver keeps 10).</summary>
    public const int MaxUpdateManagers = 10;

    /// <summary>
    /// Entries an object keeps at most. kube-apiserver is bounded only by etcd's object size; here
    /// a write that would record more managers (each applier is one) is refused, so that a stream of
    /// new manager names cannot grow an object without end.
    /// </summary>
    public const int MaxManagers = 100;

    /// <summary>The manager that owns an untracked object's fields when it is first applied.</summary>
    public const string BeforeFirstApply = "before-first-apply";

    /// <summary>The manager the oldest update managers are merged into.</summary>
    public const string AncientChanges = "ancient-changes";

    /// <summary>kubectl's client-side apply annotation.</summary>
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>The manager kubectl's server-side apply uses, whose applies keep the client-side annotation in step.</summary>
    public const string KubectlManager = "kubectl";

    /// <summary>Fields the server sets, which nobody owns (the paths themselves, not what is below them).</summary>
    private static readonly FieldSet Stripped = SetOf(
        ["f:apiVersion"], ["f:kind"], ["f:metadata"], ["f:spec"], ["f:metadata", "f:name"], ["f:metadata", "f:namespace"],
        ["f:metadata", "f:creationTimestamp"], ["f:metadata", "f:selfLink"], ["f:metadata", "f:uid"],
        ["f:metadata", "f:generation"], ["f:metadata", "f:resourceVersion"]);

    /// <summary>Fields written through the object itself that nobody owns, with everything below them.</summary>
    private static readonly FieldSet Ignored = SetOf(["f:status"], ["f:metadata", "f:managedFields"]);

    /// <summary>The managed fields of an update from <paramref name="live"/> (null: a create) to <paramref name="updated"/>.</summary>
    /// <param name="live">The stored object, without managedFields.</param>
    /// <param name="liveEntries">The stored object's managedFields.</param>
    /// <param name="updated">The object to store, defaulted, without managedFields.</param>
    /// <param name="sentEntries">The managedFields the client sent: used instead of the stored ones when not empty.</param>
    /// <param name="manager">The writer's field manager.</param>
    /// <param name="now">The time of the write.</param>
    /// <exception cref="FormatException">A list-map item lacks a key.</exception>
    public IReadOnlyList<ManagedFieldsEntry> Update(JsonObject? live, IReadOnlyList<ManagedFieldsEntry>? liveEntries, JsonObject updated,
        IReadOnlyList<ManagedFieldsEntry>? sentEntries, string manager, DateTimeOffset now)
    {
        var managers = (sentEntries is { Count: > 0 } ? ManagedFieldSets.Decode(sentEntries) : null) ?? ManagedFieldSets.Decode(liveEntries) ?? [];
        if (live is not null && managers.Count == 0)
        {
            // An object whose fields nobody tracks stays so until it is applied (kube-apiserver does the same).
            return [];
        }

        RecordUpdate(managers, live ?? [], updated, manager, now);
        return Bounded(ManagedFieldSets.Encode(Capped(managers)));
    }

    /// <summary>Applies <paramref name="config"/> to <paramref name="live"/> (null: the object does not exist yet).</summary>
    /// <returns>The object to store, without managedFields, and its managedFields.</returns>
    /// <exception cref="ApplyConflictException">The apply changes fields other managers own and is not forced.</exception>
    /// <exception cref="FormatException">A list-map item lacks a key, or two share one.</exception>
    public (JsonObject Object, IReadOnlyList<ManagedFieldsEntry> ManagedFields) Apply(JsonObject? live, IReadOnlyList<ManagedFieldsEntry>? liveEntries,
        JsonObject config, string manager, bool force, DateTimeOffset now)
    {
        var managers = ManagedFieldSets.Decode(liveEntries) ?? [];
        var liveObject = live ?? [];
        if (live is not null && managers.Count == 0)
        {
            // Someone set these fields before anything was tracked: an applier must not take them silently.
            RecordUpdate(managers, [], live, BeforeFirstApply, now);
        }

        var applied = (JsonObject)StructuredValue.WithoutUndeclared(config, schema)!;
        var merged = (JsonObject)StructuredValue.Merge(liveObject, applied, schema)!;
        var appliedSet = Owned(StructuredValue.ToFieldSet(applied, schema));
        var applier = managers.FirstOrDefault(m => m.IsApply && m.Manager == manager && string.IsNullOrEmpty(m.Subresource));
        if (applier is not null)
        {
            // The configuration goes on top again: an object it sets empty stays, though removing what it held emptied it.
            var pruned = StructuredValue.Remove(merged, Disowned(applier.Set, appliedSet, managers, applier), schema);
            merged = (JsonObject)StructuredValue.Merge(pruned, applied, schema)!;
        }

        var comparison = StructuredValue.Compare(liveObject, merged, schema);
        var changed = Owned(comparison.Added.Union(comparison.Modified));
        var conflicts = managers
            .Where(m => m != applier)
            .Select(m => (Manager: m, Fields: m.Set.Intersection(changed)))
            .Where(c => !c.Fields.IsEmpty)
            .ToList();
        if (conflicts.Count > 0 && !force && !(manager == KubectlManager && AllowedByLastApplied(live, conflicts.Select(c => c.Fields))))
        {
            throw new ApplyConflictException(
            [
                .. conflicts
                    .OrderBy(c => c.Manager.Manager, StringComparer.Ordinal)
                    .SelectMany(c => c.Fields.Members().Select(path => new FieldConflict(c.Manager.Display(), PathElement.Display(path)))),
            ]);
        }

        foreach (var other in managers)
        {
            other.Set = other.Set.Difference(changed).Difference(comparison.Removed);
        }

        if (applier is null)
        {
            applier = new ManagerFields { Manager = manager, Operation = ManagerFields.ApplyOperation, Set = appliedSet, Time = now };
            managers.Add(applier);
        }
        else
        {
            applier.Set = appliedSet;
            applier.ApiVersion = "v1";
            applier.Time = comparison.IsSame ? applier.Time ?? now : now;
        }

        if (manager == KubectlManager)
        {
            KeepLastAppliedInStep(merged, config);
        }

        return (merged, Bounded(ManagedFieldSets.Encode(Capped(managers))));
    }

    private static IReadOnlyList<ManagedFieldsEntry> Bounded(IReadOnlyList<ManagedFieldsEntry> entries) =>
        entries.Count <= MaxManagers ? entries : throw new TooManyManagersException(entries.Count);

    private static FieldSet SetOf(params string[][] paths)
    {
        var set = new FieldSet();
        foreach (var path in paths)
        {
            set.Insert(path);
        }

        return set;
    }

    private static FieldSet Owned(FieldSet fields) => fields.Difference(Stripped).RecursiveDifference(Ignored);

    /// <summary>
    /// What the applier applied last time and no longer does, that no applier claims (itself
    /// included) at or below: these fields are removed from the object.
    /// </summary>
    private static FieldSet Disowned(FieldSet last, FieldSet applied, List<ManagerFields> managers, ManagerFields applier)
    {
        var claimed = managers.Where(m => m.IsApply && m != applier).Aggregate(applied, (all, m) => all.Union(m.Set));
        var disowned = new FieldSet();
        foreach (var path in last.Difference(claimed).Members())
        {
            if (!claimed.HasAtOrBelow(path))
            {
                disowned.Insert(path);
            }
        }

        return disowned;
    }

    private void RecordUpdate(List<ManagerFields> managers, JsonObject live, JsonObject updated, string manager, DateTimeOffset now)
    {
        var comparison = StructuredValue.Compare(live, updated, schema);
        var changed = Owned(comparison.Added.Union(comparison.Modified));
        foreach (var other in managers)
        {
            other.Set = other.Set.Difference(changed).Difference(comparison.Removed);
        }

        if (changed.IsEmpty)
        {
            return;
        }

        var entry = managers.FirstOrDefault(m => !m.IsApply && m.Manager == manager && m.ApiVersion == "v1" && string.IsNullOrEmpty(m.Subresource));
        if (entry is null)
        {
            managers.Add(new ManagerFields { Manager = manager, Operation = ManagerFields.UpdateOperation, Set = changed, Time = now });
            return;
        }

        entry.Set = entry.Set.Union(changed);
        entry.Time = now;
    }

    /// <summary>At most <see cref="MaxUpdateManagers"/> update managers: the oldest are merged into one.</summary>
    private static List<ManagerFields> Capped(List<ManagerFields> managers)
    {
        var updaters = managers.Where(m => !m.IsApply && !m.Set.IsEmpty).OrderBy(m => m.Time ?? DateTimeOffset.MinValue).ToList();
        if (updaters.Count <= MaxUpdateManagers)
        {
            return managers;
        }

        var bucket = updaters.FirstOrDefault(m => m.Manager == AncientChanges && m.ApiVersion == "v1");
        var merged = bucket ?? new ManagerFields { Manager = AncientChanges, Operation = ManagerFields.UpdateOperation, Set = new FieldSet() };
        var excess = updaters.Where(m => m != bucket).Take(updaters.Count - MaxUpdateManagers + (bucket is null ? 1 : 0)).ToList();
        foreach (var old in excess)
        {
            merged.Set = merged.Set.Union(old.Set);
            merged.Time = old.Time is { } time && (merged.Time is null || time > merged.Time) ? time : merged.Time;
        }

        return [.. managers.Where(m => !excess.Contains(m) && m != merged), merged];
    }

    /// <summary>
    /// Conflicts kubectl may override on its first server-side apply of an object it applied
    /// client-side: fields whose live value is still what the last-applied annotation says.
    /// </summary>
    private bool AllowedByLastApplied(JsonObject? live, IEnumerable<FieldSet> conflicts)
    {
        if (live?["metadata"]?["annotations"]?[LastAppliedAnnotation] is not JsonValue annotation || !annotation.TryGetValue<string>(out var text))
        {
            return false;
        }

        try
        {
            if (JsonNode.Parse(text) is not JsonObject lastApplied)
            {
                return false;
            }

            var declared = StructuredValue.WithoutUndeclared(lastApplied, schema);
            var comparison = StructuredValue.Compare(declared, live, schema);
            var allowed = StructuredValue.ToFieldSet(declared, schema).Intersection(StructuredValue.ToFieldSet(live, schema)).Difference(comparison.Modified);
            return conflicts.All(c => c.Difference(allowed).IsEmpty);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return false;
        }
    }

    /// <summary>kubectl's applies replace the client-side annotation, when the object has one, with the applied configuration.</summary>
    private static void KeepLastAppliedInStep(JsonObject merged, JsonObject config)
    {
        if (merged["metadata"]?["annotations"] is not JsonObject annotations || !annotations.ContainsKey(LastAppliedAnnotation))
        {
            return;
        }

        var lastApplied = (JsonObject)config.DeepClone();
        if (lastApplied["metadata"]?["annotations"] is JsonObject own)
        {
            own.Remove(LastAppliedAnnotation);
            if (own.Count == 0)
            {
                lastApplied["metadata"]!.AsObject().Remove("annotations");
            }
        }

        annotations[LastAppliedAnnotation] = lastApplied.ToJsonString();
    }
}

/// <summary>A write that would leave an object with more than <see cref="FieldManager.MaxManagers"/> managers.</summary>
internal sealed class TooManyManagersException(int count)
    : Exception($"Too many: {count}: must have at most {FieldManager.MaxManagers} items")
{
    /// <summary>The 422 cause, as kube-apiserver words a list that is too long.</summary>
    public ServiceProxy.Kubernetes.Validation.FieldError Cause { get; } =
        new("metadata.managedFields", ServiceProxy.Kubernetes.Validation.FieldErrorType.TooMany, $"{count}: must have at most {FieldManager.MaxManagers} items");
}

/// <summary>One field an apply would take from another manager.</summary>
/// <param name="Manager">The owner, as kube-apiserver names it (<c>"kubectl-client-side-apply" using v1</c>).</param>
/// <param name="Field">The path (<c>.spec.ports[port=80,protocol="TCP"].targetPort</c>).</param>
internal sealed record FieldConflict(string Manager, string Field);

/// <summary>An apply that would change fields other managers own.</summary>
internal sealed class ApplyConflictException(IReadOnlyList<FieldConflict> conflicts)
    : Exception($"Apply failed with {conflicts.Count} conflicts")
{
    public IReadOnlyList<FieldConflict> Conflicts { get; } = conflicts;
}
