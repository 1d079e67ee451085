using System.Text.Json;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Admin.ServerSideApply;

/// <summary>One manager's fields, decoded from a <see cref="ManagedFieldsEntry"/>.</summary>
internal sealed class ManagerFields
{
    public const string ApplyOperation = "Apply";
    public const string UpdateOperation = "Update";

    public required string Manager { get; init; }

    public required string Operation { get; init; }

    public string ApiVersion { get; set; } = "v1";

    public DateTimeOffset? Time { get; set; }

    public string? Subresource { get; init; }

    public required FieldSet Set { get; set; }

    public bool IsApply => Operation == ApplyOperation;

    /// <summary>
    /// What makes two entries the same manager, as kube-apiserver's manager identifier: the name,
    /// the operation, the subresource and, for updates only, the API version.
    /// </summary>
    public (string, string, string, string) Identity => (Manager, Operation, IsApply ? string.Empty : ApiVersion, Subresource ?? string.Empty);

    /// <summary>The manager as kube-apiserver names it in a conflict: <c>"kubectl"</c>, <c>"kubectl-edit" using v1</c>.</summary>
    public string Display()
    {
        var text = Quote(Manager);
        if (!string.IsNullOrEmpty(Subresource))
        {
            text += $" with subresource {Quote(Subresource)}";
        }

        return IsApply ? text : $"{text} using {ApiVersion}";
    }

    private static string Quote(string text) => JsonSerializer.Serialize(text);
}

/// <summary>Reads and writes <c>metadata.managedFields</c>.</summary>
internal static class ManagedFieldSets
{
    /// <summary>
    /// The entries of <paramref name="entries"/>, or null when one is not a valid entry (an
    /// operation other than Apply or Update, or fields not in FieldsV1 form). An entry without
    /// fields decodes to an empty set, so <c>[{}]</c> is how a client clears the list.
    /// </summary>
    public static List<ManagerFields>? Decode(IReadOnlyList<ManagedFieldsEntry>? entries)
    {
        var decoded = new List<ManagerFields>();
        foreach (var entry in entries ?? [])
        {
            if (entry.FieldsV1 is null && entry.Operation is null && entry.Manager is null)
            {
                continue;
            }

            if (entry.Operation is not (ManagerFields.ApplyOperation or ManagerFields.UpdateOperation)
                || (entry.FieldsType is not null && entry.FieldsType != "FieldsV1"))
            {
                return null;
            }

            FieldSet set;
            try
            {
                set = entry.FieldsV1 is { } fields ? FieldSet.FromFieldsV1(fields) : new FieldSet();
            }
            catch (FormatException)
            {
                return null;
            }

            decoded.Add(new ManagerFields
            {
                Manager = entry.Manager ?? string.Empty,
                Operation = entry.Operation,
                ApiVersion = entry.ApiVersion ?? "v1",
                Time = entry.Time,
                Subresource = entry.Subresource,
                Set = set,
            });
        }

        return decoded;
    }

    /// <summary>
    /// The entries to store: empty sets dropped, in kube-apiserver's order (Apply before Update,
    /// then oldest first, then by manager).
    /// </summary>
    public static IReadOnlyList<ManagedFieldsEntry> Encode(IEnumerable<ManagerFields> managers) =>
    [
        .. managers
            .Where(m => !m.Set.IsEmpty)
            .OrderBy(m => m.Operation, StringComparer.Ordinal)
            .ThenBy(m => m.Time?.ToUnixTimeSeconds() ?? 0)
            .ThenBy(m => m.Manager, StringComparer.Ordinal)
            .ThenBy(m => m.ApiVersion, StringComparer.Ordinal)
            .ThenBy(m => m.Subresource ?? string.Empty, StringComparer.Ordinal)
            .Select(m => new ManagedFieldsEntry
            {
                Manager = m.Manager,
                Operation = m.Operation,
                ApiVersion = m.ApiVersion,
                Time = m.Time,
                FieldsType = "FieldsV1",
                FieldsV1 = JsonSerializer.SerializeToElement(m.Set.ToFieldsV1(), FieldSet.Relaxed),
                Subresource = string.IsNullOrEmpty(m.Subresource) ? null : m.Subresource,
            }),
    ];
}
