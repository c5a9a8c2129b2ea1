using Usher.Testing;
using Xunit.Abstractions;

namespace Usher.Cli.Tests.Docs;

/// <summary>
/// Every <c>usher</c> command line that README.md and docs/*.md show parses with the real command tree
/// (<see cref="DocCommandLines"/> says which lines those are, <see cref="DocCommandLineCheck"/> how each
/// is checked): a flag or subcommand renamed in the code and not in the docs fails here.
/// docs/benchmarks.md is read too: it is generated from benchmarks/compare/*.md, so a fix there goes to
/// its appendix as well.
/// </summary>
public sealed class DocsCommandLinesTests(ITestOutputHelper output)
{
    /// <summary>Inline code that starts with <c>usher</c> but names a thing, not a command.</summary>
    private static readonly Dictionary<string, string> NotCommands = new(StringComparer.Ordinal)
    {
        ["`usher executor`"] = "the dynamic batcher's threads, which DynamicBatcher names 'usher executor N: MODEL'",
        ["`usher route listener`"] = "the application_name of the PostgreSQL connection that RouteChangeListener holds",
    };

    [Fact]
    public void EveryUsherCommandLineInTheDocs_Parses()
    {
        var lines = DocCommandLines.DocFiles(RepoRoot.Path)
            .SelectMany(f => DocCommandLines.Read(f, Path.GetRelativePath(RepoRoot.Path, f)))
            .Where(l => !NotCommands.ContainsKey(l.Text))
            .ToList();
        var concrete = lines.Count(l => !l.Synopsis);
        output.WriteLine($"{lines.Count} usher command lines: {concrete} parsed, {lines.Count - concrete} synopses, inline mentions and flag-table rows walked");

        // A reader that found nothing would pass: the docs show well over a hundred concrete command lines.
        Assert.True(concrete > 100, $"only {concrete} concrete usher command lines found in the docs");

        var problems = lines
            .Select(l => (Line: l, Problem: DocCommandLineCheck.Problem(l)))
            .Where(p => p.Problem is not null)
            .Select(p => $"{p.Line}\n    {p.Problem}")
            .ToList();
        Assert.True(problems.Count == 0, $"{problems.Count} of {lines.Count} usher command lines in the docs do not parse:\n{string.Join('\n', problems)}");
    }

    [Fact]
    public void Read_ShellBlocks_FindsTheUsherPartOfEachCommand()
    {
        string[] doc =
        [
            "```bash",
            "usher deploy fraud --version 1 \\",
            "    --strategy direct   # start here",
            "for i in 0 1; do usher batch fraud -i in.csv -o part-$i.csv --shard $i/2 & done; wait",
            "taskset -c 0 usher profile fraud --quick > profile.json",
            "usher=src/Usher.Cli/bin/Release/usher.dll",
            "/usr/bin/time -f '%U %S' dotnet $usher samples generate 2>&1 | tail -1",
            "pgrep -f \"dotnet $usher batch\"",
            "helm install usher deploy/helm/usher",
            "usher batch: 12 rows, 0 errors",
            "```",
            "```yaml",
            "usher serve --not-shell",
            "```",
        ];

        Assert.Equal(
            [
                (2, false, "deploy fraud --version 1 --strategy direct"),
                (4, false, "batch fraud -i in.csv -o part-$i.csv --shard $i/2"),
                (5, false, "profile fraud --quick"),
                (7, false, "samples generate"),
            ],
            Found(doc));
    }

    [Fact]
    public void Read_PromptedBlock_ReadsOnlyThePromptedLines_AndSynopsesAndInlineMentionsAreWalked()
    {
        string[] doc =
        [
            "Run `usher endpoints --output json` or see below; `usher samples",
            "generate` writes the models.",
            "```",
            "$ usher rollout status fraud",
            "usher rollout status: HTTP 401: admin token required",
            "$ sleep 10; usher endpoints",
            "```",
            "```",
            "usher rollout promote|pause ENDPOINT [--reason TEXT]",
            "usher deploy [ENDPOINT] [--version V]",
            "             [--dry-run]",
            "```",
        ];

        Assert.Equal(
            [
                (1, true, "endpoints --output json"),
                (1, true, "samples generate"),
                (4, false, "rollout status fraud"),
                (6, false, "endpoints"),
                (9, true, "rollout promote|pause ENDPOINT [--reason TEXT]"),
                (10, true, "deploy [ENDPOINT] [--version V] [--dry-run]"),
            ],
            Found(doc));
    }

    [Fact]
    public void Read_FlagTable_ChecksEachRowsFlagsOnTheCommandAbove()
    {
        string[] doc =
        [
            "```bash",
            "usher optimize quantize fraud --version 1 --mode int8",
            "```",
            "",
            "| Flag | Meaning |",
            "|---|---|",
            "| `MODEL` | The model. |",
            "| `--mode int8\\|fp16`, `-m` | What to do. |",
            "| `--kernal fused` | A typo. |",
        ];

        Assert.Equal(
            [
                (2, false, "optimize quantize fraud --version 1 --mode int8"),
                (8, true, "optimize quantize fraud --mode int8|fp16 -m"),
                (9, true, "optimize quantize fraud --kernal fused"),
            ],
            Found(doc));
        Assert.Equal(
            [null, null, "'usher optimize quantize' has no option '--kernal'"],
            DocCommandLines.Parse(doc, "x.md").Select(DocCommandLineCheck.Problem));
    }

    [Theory]
    [InlineData("usher deploy fraud --version 2 --strategy canary --steps 10,50,100 --interval 2m")]
    [InlineData("usher rollout promote ENDPOINT --version V")]
    [InlineData("usher rollout promote|pause|resume|rollback ENDPOINT [--reason TEXT]")]
    [InlineData("usher replicas [--server URL] [--output table|json]")]
    [InlineData("usher batch fraud -i data.csv -o scores.csv --columns features=a,b,...")]
    [InlineData("usher batch --help")]
    [InlineData("usher experiment plan --baseline RATE --mde LIFT")]
    [InlineData("usher serve --grpc-port -1")]
    public void Problem_LineTheCommandTreeTakes_IsNull(string text) =>
        Assert.Null(DocCommandLineCheck.Problem(Single(text)));

    [Theory]
    [InlineData("usher endpoints --output yaml", "'yaml'")]
    [InlineData("usher deploy fraud --versions 2", "'--versions'")]
    [InlineData("usher deploy fraud --dryrun", "'--dryrun'")]
    [InlineData("usher rollouts status fraud", "'rollouts'")]
    [InlineData("usher rollout promote|halt ENDPOINT [--reason TEXT]", "'halt'")]
    [InlineData("usher rollout promote|pause ENDPOINT [--reasons TEXT]", "'--reasons'")]
    [InlineData("usher replicas [--server URL] [--output table|yaml]", "'yaml'")]
    [InlineData("usher optimize distill --teacher fraud:1 --data f.csv --epochs x", "'x'")]
    public void Problem_LineTheCommandTreeRejects_NamesWhatIsWrong(string text, string named)
    {
        var problem = DocCommandLineCheck.Problem(Single(text));

        Assert.NotNull(problem);
        Assert.Contains(named, problem, StringComparison.Ordinal);
    }

    /// <summary>Each command line found in <paramref name="doc"/>: its line, whether a synopsis, its arguments.</summary>
    private static IEnumerable<(int Line, bool Synopsis, string Args)> Found(string[] doc) =>
        DocCommandLines.Parse(doc, "x.md").Select(l => (l.Line, l.Synopsis, string.Join(' ', l.Args.Select(a => a.Text))));

    private static DocCommandLine Single(string text) => Assert.Single(DocCommandLines.Parse(["```", text, "```"], "x.md"));
}
