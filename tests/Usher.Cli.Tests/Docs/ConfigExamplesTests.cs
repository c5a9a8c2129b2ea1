using System.Text.Json;
using System.Text.RegularExpressions;
using Usher.Testing;
using Xunit.Abstractions;

namespace Usher.Cli.Tests.Docs;

/// <summary>
/// Every configuration example in README.md and docs/*.md (```yaml and ```json blocks, and plain
/// blocks that are YAML) loads through the loader that reads its kind in the product, with its
/// validators: usher.yaml (settings and <c>streams:</c>), a model's config.yaml (and its
/// <c>rollout</c> section), deployment specs (YAML as <c>usher deploy</c> reads them, JSON as the
/// admin API does). A block after a line that says it is refused (ending in a colon) must be refused.
/// </summary>
public sealed partial class ConfigExamplesTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void EveryConfigExampleInTheDocs_LoadsThroughTheRealLoader()
    {
        var failures = new List<string>();
        var checkedByKind = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var notChecked = new List<string>();
        var scratch = 0;
        foreach (var file in DocCommandLines.DocFiles(RepoRoot.Path).Select(f => Path.GetRelativePath(RepoRoot.Path, f)))
        {
            foreach (var fence in DocFence.Read(RepoRoot.Path, file))
            {
                if (fence.Info is "yaml" or "yml" || (fence.Info.Length == 0 && PlainYaml().IsMatch(FirstLine(fence.Text))))
                {
                    foreach (var example in ConfigExample.Split(fence))
                    {
                        var keys = ConfigExample.TopKeys(example.Text);
                        var kind = ConfigExample.KindOfYaml(keys, out var foreign);
                        if (foreign is not null)
                        {
                            notChecked.Add($"{example.Where}: {foreign}, not read by Usher");
                        }
                        else if (kind is null)
                        {
                            failures.Add($"{example.Where}: a YAML block of no known kind (top-level keys: {string.Join(", ", keys)}); fix its keys, or teach this test its kind");
                        }
                        else
                        {
                            Check(example, kind, Path.Combine(_scratch.Path, (scratch++).ToString(System.Globalization.CultureInfo.InvariantCulture)), failures, checkedByKind);
                        }
                    }
                }
                else if (fence.Info == "json")
                {
                    string? kind;
                    try
                    {
                        using var document = JsonDocument.Parse(fence.Text);
                        kind = ConfigExample.KindOfJson(document.RootElement);
                    }
                    catch (JsonException)
                    {
                        // Answers are shown with their repetitions elided ("..."); a spec never is.
                        if (fence.Text.Contains("\"strategy\"", StringComparison.Ordinal))
                        {
                            failures.Add($"{fence}: a deployment spec that is not valid JSON");
                        }

                        notChecked.Add($"{fence}: JSON with parts elided, an answer of the server");
                        continue;
                    }

                    if (kind is null)
                    {
                        notChecked.Add($"{fence}: JSON, an answer or a message, not a configuration");
                    }
                    else
                    {
                        Check(new ConfigExample(fence, 0, fence.Text), kind, _scratch.Path, failures, checkedByKind);
                    }
                }
            }
        }

        output.WriteLine($"Checked: {string.Join(", ", checkedByKind.Select(k => $"{k.Key} {k.Value}"))}.");
        output.WriteLine($"Not checked ({notChecked.Count}):");
        notChecked.ForEach(n => output.WriteLine("  " + n));

        // Each kind is found at all: a change to the docs' layout or to this test's rules that loses a
        // kind fails here instead of passing on nothing.
        Assert.All(new[] { ConfigExample.UsherYaml, ConfigExample.ModelConfigYaml, ConfigExample.DeploymentSpec, ConfigExample.Fault }, kind => Assert.True(checkedByKind.GetValueOrDefault(kind) > 0, $"no {kind} example found"));
        Assert.True(failures.Count == 0, $"{failures.Count} doc example(s) do not load:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    private static void Check(ConfigExample example, string kind, string scratch, List<string> failures, SortedDictionary<string, int> checkedByKind)
    {
        Directory.CreateDirectory(scratch);
        var problems = example.Load(kind, scratch);
        checkedByKind[kind] = checkedByKind.GetValueOrDefault(kind) + 1;
        if (Refused().IsMatch(example.Fence.Before))
        {
            if (problems.Count == 0)
            {
                failures.Add($"{example.Where} ({kind}): the text before it says it is refused, but it loads");
            }
        }
        else
        {
            failures.AddRange(problems.Select(p => $"{Where(example, p)} ({kind}): {p}"));
        }
    }

    // The doc's line of a problem that names its line in the example ("usher.yaml line 3: ..."), else the example's first.
    private static string Where(ConfigExample example, string problem)
        => ExampleLine().Match(problem) is { Success: true } line
            ? $"{example.Fence.File}:{example.Fence.Line + example.Offset + int.Parse(line.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture) - 1}"
            : example.Where;

    private static string FirstLine(string text)
        => text.Split('\n').FirstOrDefault(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')) ?? string.Empty;

    // A plain block (no info string) is YAML when its first line is a lower-case key: prose, command lines and HTTP headers are not.
    [GeneratedRegex(@"^[a-z_]+:(\s|$)")]
    private static partial Regex PlainYaml();

    [GeneratedRegex(@"^[\w.]+ line (?<line>\d+):")]
    private static partial Regex ExampleLine();

    [GeneratedRegex(@"\b(refused|rejected)\b.*:$", RegexOptions.IgnoreCase)]
    private static partial Regex Refused();
}
