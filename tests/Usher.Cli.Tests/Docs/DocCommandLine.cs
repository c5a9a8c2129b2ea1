namespace Usher.Cli.Tests.Docs;

/// <summary>
/// One <c>usher</c> command line shown in a doc: the arguments after the binary, where it stands, and
/// whether it is a synopsis (<c>[--flag V]</c>, <c>a|b</c>, <c>&lt;x&gt;</c>) or an inline mention, whose
/// subcommands and flags are checked but not parsed as one concrete command line.
/// </summary>
internal sealed record DocCommandLine(string File, int Line, string Text, IReadOnlyList<ShellWord> Args, bool Synopsis)
{
    public override string ToString() => $"{File}:{Line}: {Text}";
}
