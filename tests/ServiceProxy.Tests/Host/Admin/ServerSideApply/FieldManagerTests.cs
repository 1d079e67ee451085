using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Admin;
using ServiceProxy.Host.Admin.ServerSideApply;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Host.Admin.ServerSideApply;

/// <summary>managedFields and apply on Services, with the schema the API serves.</summary>
public sealed class FieldManagerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly FieldManager Manager = new(OpenApiTypeSchemas.Served.ForKind("Service"));

    private const string Config = """
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","labels":{"app":"web"}},
         "spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080}]}}
        """;

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private static string Fields(IReadOnlyList<ManagedFieldsEntry> entries, string manager) =>
        entries.Single(e => e.Manager == manager).FieldsV1!.Value.GetRawText();

    [Fact]
    public void Apply_creates_and_owns_exactly_what_it_applied()
    {
        var (obj, entries) = Manager.Apply(null, null, Obj(Config), "kubectl", force: false, T0);
        Assert.Equal(8080, obj["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
        var entry = Assert.Single(entries);
        Assert.Equal(("kubectl", "Apply", "v1", "FieldsV1", T0), (entry.Manager, entry.Operation, entry.ApiVersion, entry.FieldsType, entry.Time));
        Assert.Equal(
            """{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}},"f:selector":{}}}""",
            entry.FieldsV1!.Value.GetRawText());
    }

    [Fact]
    public void Reapplying_the_same_configuration_changes_nothing()
    {
        var (first, entries) = Manager.Apply(null, null, Obj(Config), "kubectl", false, T0);
        var (second, again) = Manager.Apply(first, entries, Obj(Config), "kubectl", false, T0.AddMinutes(1));
        Assert.True(JsonNode.DeepEquals(first, second));
        Assert.Equal(JsonSerializer.Serialize(entries), JsonSerializer.Serialize(again)); // Time too: no change, no new time.
    }

    [Fact]
    public void Fields_the_applier_stops_applying_are_removed_unless_another_applier_owns_them()
    {
        var (obj, entries) = Manager.Apply(null, null, Obj(Config), "a", false, T0);
        (obj, entries) = Manager.Apply(obj, entries, Obj("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","labels":{"team":"x"}}}"""), "b", false, T0);
        (obj, entries) = Manager.Apply(obj, entries, Obj("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","labels":{"team":"x"}},"spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}"""), "a", false, T0);
        Assert.Equal("""{"team":"x"}""", obj["metadata"]!["labels"]!.ToJsonString()); // app removed; team kept, b applies it
        Assert.Null(obj["spec"]!["ports"]![0]!["targetPort"]);
        Assert.Equal("""{"f:metadata":{"f:labels":{"f:team":{}}}}""", Fields(entries, "b"));
    }

    [Fact]
    public void Changing_a_field_another_manager_owns_is_a_conflict_unless_forced()
    {
        var live = Obj("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"ports":[{"port":80,"protocol":"TCP","targetPort":9090}]}}""");
        var updated = Manager.Update(null, null, live, null, "kubectl-client-side-apply", T0);
        var changed = Obj(Config);
        var conflict = Assert.Throws<ApplyConflictException>(() => Manager.Apply(live, updated, changed, "kubectl", false, T0));
        Assert.Equal([new FieldConflict("\"kubectl-client-side-apply\" using v1", ".spec.ports[port=80,protocol=\"TCP\"].targetPort")], conflict.Conflicts);
        Assert.Equal(
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .spec.ports[port=80,protocol=\"TCP\"].targetPort",
            ApplyRequests.ConflictStatus(conflict.Conflicts).Message);

        var (forced, entries) = Manager.Apply(live, updated, changed, "kubectl", true, T0);
        Assert.Equal(8080, forced["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
        Assert.DoesNotContain("targetPort", Fields(entries, "kubectl-client-side-apply"), StringComparison.Ordinal);
        Assert.Contains("targetPort", Fields(entries, "kubectl"), StringComparison.Ordinal);
    }

    [Fact]
    public void Setting_a_field_to_the_value_another_manager_set_shares_it()
    {
        var live = Obj("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"ports":[{"port":80,"protocol":"TCP","targetPort":8080}]}}""");
        var updated = Manager.Update(null, null, live, null, "other", T0);
        var (_, entries) = Manager.Apply(live, updated, Obj(Config), "kubectl", false, T0);
        Assert.Contains("targetPort", Fields(entries, "other"), StringComparison.Ordinal);
        Assert.Contains("targetPort", Fields(entries, "kubectl"), StringComparison.Ordinal);
    }

    [Fact]
    public void Conflicts_with_several_managers_are_listed_by_manager()
    {
        var message = ApplyRequests.ConflictStatus(
        [
            new FieldConflict("\"b\" using v1", ".spec.type"),
            new FieldConflict("\"a\"", ".spec.selector"),
            new FieldConflict("\"a\"", ".metadata.labels.app"),
        ]);
        Assert.Equal("Apply failed with 3 conflicts: conflicts with \"a\":\n- .spec.selector\n- .metadata.labels.app\nconflicts with \"b\" using v1:\n- .spec.type", message.Message);
        Assert.Equal(409, message.Code);
        Assert.Equal("Conflict", message.Reason);
        Assert.All(message.Details!.Causes!, c => Assert.Equal("FieldManagerConflict", c.Reason));
    }

    [Fact]
    public void An_update_owns_what_it_changed_with_new_containers_as_members()
    {
        var created = Obj("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","annotations":{"a":"1"}},"spec":{"type":"ClusterIP","ports":[{"port":80,"protocol":"TCP"}]}}""");
        var entries = Manager.Update(null, null, created, null, "kubectl-create", T0);
        Assert.Equal(
            """{"f:metadata":{"f:annotations":{".":{},"f:a":{}}},"f:spec":{"f:ports":{".":{},"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:protocol":{}}},"f:type":{}}}""",
            Fields(entries, "kubectl-create"));
        Assert.Equal("Update", entries[0].Operation);

        var changed = Obj(created.ToJsonString());
        changed["spec"]!["type"] = "NodePort";
        var next = Manager.Update(created, entries, changed, null, "kubectl-edit", T0.AddSeconds(1));
        Assert.Equal("""{"f:spec":{"f:type":{}}}""", Fields(next, "kubectl-edit"));
        Assert.DoesNotContain("f:type", Fields(next, "kubectl-create"), StringComparison.Ordinal);
    }

    [Fact]
    public void Sent_managed_fields_replace_the_stored_ones_and_a_single_empty_entry_clears_them()
    {
        var live = Obj(Config);
        var entries = Manager.Update(null, null, live, null, "kubectl-create", T0);
        Assert.Equal(entries.Count, Manager.Update(live, entries, live, [], "x", T0).Count); // [] keeps them
        Assert.Empty(Manager.Update(live, entries, live, [new ManagedFieldsEntry()], "x", T0)); // [{}] clears them
        Assert.Empty(Manager.Update(live, [], Obj(Config.Replace("8080", "9090", StringComparison.Ordinal)), null, "x", T0)); // and untracked stays untracked
    }

    [Fact]
    public void The_first_apply_of_an_untracked_object_conflicts_with_before_first_apply()
    {
        var live = Obj(Config.Replace("8080", "9090", StringComparison.Ordinal));
        var conflict = Assert.Throws<ApplyConflictException>(() => Manager.Apply(live, null, Obj(Config), "ci", false, T0));
        Assert.Equal("\"before-first-apply\" using v1", Assert.Single(conflict.Conflicts).Manager);
    }

    [Fact]
    public void Kubectl_may_take_fields_its_client_side_apply_set_as_last_applied()
    {
        var live = Obj(Config.Replace("8080", "9090", StringComparison.Ordinal));
        var lastApplied = live.DeepClone().AsObject();
        live["metadata"]!["annotations"] = new JsonObject { [FieldManager.LastAppliedAnnotation] = lastApplied.ToJsonString() };
        var entries = Manager.Update(null, null, live, null, "kubectl-client-side-apply", T0);
        var (obj, _) = Manager.Apply(live, entries, Obj(Config), "kubectl", false, T0);
        Assert.Equal(8080, obj["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
        Assert.Contains("8080", obj["metadata"]!["annotations"]![FieldManager.LastAppliedAnnotation]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Throws<ApplyConflictException>(() => Manager.Apply(live, entries, Obj(Config), "someone-else", false, T0));
    }

    [Fact]
    public void Update_managers_are_capped_with_the_oldest_merged()
    {
        var live = Obj("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","labels":{"base":"x"}}}""");
        IReadOnlyList<ManagedFieldsEntry> entries = Manager.Update(null, null, live, null, "create", T0);
        for (var i = 0; i < 15; i++)
        {
            var next = Obj(live.ToJsonString());
            next["metadata"]!["labels"]![$"l{i}"] = "x";
            entries = Manager.Update(live, entries, next, null, $"m{i}", T0.AddSeconds(i + 1));
            live = next;
        }

        Assert.Equal(FieldManager.MaxUpdateManagers, entries.Count(e => e.Operation == "Update"));
        Assert.Contains(entries, e => e.Manager == FieldManager.AncientChanges);
    }

    [Fact]
    public void An_object_keeps_at_most_max_managers()
    {
        var (obj, entries) = Manager.Apply(null, null, Obj(Config), "m0", false, T0);
        for (var i = 1; i < FieldManager.MaxManagers; i++)
        {
            (obj, entries) = Manager.Apply(obj, entries, Obj(Config), $"m{i}", false, T0); // each shares the same fields
        }

        Assert.Equal(FieldManager.MaxManagers, entries.Count);
        Assert.Throws<TooManyManagersException>(() => Manager.Apply(obj, entries, Obj(Config), "one-too-many", false, T0));
    }

    [Theory]
    [InlineData("kubectl/v1.32.4 (linux/amd64) kubernetes/abc", "kubectl")]
    [InlineData("", "")]
    [InlineData("a\u0001b/1", "ab")]
    public void The_manager_of_a_write_without_one_is_the_user_agent_product(string userAgent, string manager) =>
        Assert.Equal(manager, ManagedFieldsTracking.FromUserAgent(userAgent));
}
