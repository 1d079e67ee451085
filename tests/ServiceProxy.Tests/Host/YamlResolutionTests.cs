using System.Text.Json;
using ServiceProxy.Host.Cli;
using ServiceProxy.Kubernetes.Manifests;

namespace ServiceProxy.Tests.Host;

/// <summary><c>run -f</c> (the manifest decoder) and <c>apply -f</c> (YAML to JSON) read a text the same way.</summary>
public class YamlResolutionTests
{
    [Fact]
    public async Task Run_and_apply_both_read_yes_and_on_as_booleans_and_quoted_yes_as_a_string()
    {
        const string Text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: flags\n  labels:\n    a: yes\n    b: on\n    c: \"yes\"\nspec:\n  ports:\n  - port: 80\n";
        var file = Path.Combine(Path.GetTempPath(), $"sp-flags-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, Text);
        try
        {
            // run -f: a boolean where Kubernetes wants a string.
            var errors = ManifestReader.LoadText(Text, "flags.yaml").Errors.Select(e => e.ToString()).ToArray();
            Assert.Equal(["flags.yaml:6 metadata.labels: Invalid value: yes: must be a string (quote it in YAML)", "flags.yaml:7 metadata.labels: Invalid value: on: must be a string (quote it in YAML)"], errors);

            // apply -f: the same booleans go to the server (which refuses them the same way: a bool is not a string).
            var (_, obj) = Assert.Single(await ManifestInput.ReadAsync([file], CancellationToken.None));
            var labels = obj["metadata"]!["labels"]!;
            Assert.Equal(JsonValueKind.True, labels["a"]!.GetValueKind());
            Assert.Equal(JsonValueKind.True, labels["b"]!.GetValueKind());
            Assert.Equal(JsonValueKind.String, labels["c"]!.GetValueKind());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Run_and_apply_both_refuse_a_file_that_is_not_utf8()
    {
        var file = Path.Combine(Path.GetTempPath(), $"sp-latin1-{Guid.NewGuid():N}.yaml");
        await File.WriteAllBytesAsync(file, [.. "apiVersion: v1\nkind: Service\nmetadata:\n  name: caf"u8, 0xE9, (byte)'\n']);
        try
        {
            Assert.Equal([$"{file}: not valid UTF-8 text"], ManifestReader.LoadFile(file).Errors.Select(e => e.ToString()));

            var error = await Assert.ThrowsAsync<CliException>(() => ManifestInput.ReadAsync([file], CancellationToken.None));
            Assert.Equal($"error: error parsing {file}: not valid UTF-8 text", error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
