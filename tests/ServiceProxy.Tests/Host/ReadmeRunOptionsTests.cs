using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using ServiceProxy.Host.Hosting;

namespace ServiceProxy.Tests.Host;

/// <summary>README's <c>run</c> option table says what <see cref="RunSettings"/> and the options' defaults say.</summary>
public sealed partial class ReadmeRunOptionsTests
{
    [Fact]
    public void Every_option_in_the_readme_table_has_the_flag_key_and_default_of_the_code()
    {
        var rows = TableRows();
        var documented = new List<string>();
        foreach (var row in rows)
        {
            var flags = Flag().Matches(row.Option).Select(m => m.Value).ToList();
            var keys = CodeSpan().Matches(row.Key).Select(m => m.Groups[1].Value).ToList();
            Assert.True(flags.Count > 0, $"no flag in README row \"{row.Option}\"");
            Assert.True(flags.Count == keys.Count, $"README row {row.Option}: {flags.Count} flags, {keys.Count} keys");
            for (var i = 0; i < flags.Count; i++)
            {
                var setting = RunSettings.All.SingleOrDefault(s => s.Flag == flags[i]);
                Assert.True(setting is not null, $"README documents {flags[i]}, which run does not have");
                Assert.True(setting.Key == keys[i], $"README: {flags[i]} sets {keys[i]}; the code: {setting.Key}");
                documented.Add(setting.Flag);
            }

            var defaults = flags.Select(f => ExpectedDefault(RunSettings.Get(f))).ToList();
            var spans = Regex.Match(row.Default, @"^(`[^`]*`(, )?)+").Success ? CodeSpan().Matches(row.Default).Select(m => m.Groups[1].Value).Take(flags.Count).ToList() : [];
            if (defaults.All(d => d is null))
            {
                Assert.True(spans.Count == 0, $"README: {row.Option} defaults to {row.Default}; the code: nothing");
            }
            else if (defaults.All(d => d is "on" or "off"))
            {
                Assert.True(defaults.All(d => d == row.Default), $"README: {row.Option} defaults to {row.Default}; the code: {string.Join(", ", defaults)}");
            }
            else
            {
                Assert.True(defaults.SequenceEqual(spans), $"README: {row.Option} defaults to {row.Default}; the code: {string.Join(", ", defaults)}");
            }
        }

        Assert.Equal(RunSettings.All.Select(s => s.Flag).Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    /// <summary>What the table shows: none for no value (the cell explains it), on/off for a switch, the value as typed otherwise.</summary>
    private static string? ExpectedDefault(RunSetting setting) => setting.Default switch
    {
        null or ICollection { Count: 0 } => null,
        "" => null,
        bool on => on ? "on" : "off",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        var value => value.ToString(),
    };

    private static List<(string Option, string Key, string Default)> TableRows()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "README.md")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var lines = File.ReadAllLines(Path.Combine(directory.FullName, "README.md"));
        var header = Array.IndexOf(lines, "| option | key | default | what |");
        Assert.True(header >= 0, "README has no run option table");
        return [.. lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')).Select(l => l.Split(" | ")).Select(c => (c[0].TrimStart('|', ' '), c[1], c[2]))];
    }

    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z-]*")]
    private static partial Regex Flag();

    [GeneratedRegex("`([^`]*)`")]
    private static partial Regex CodeSpan();
}
