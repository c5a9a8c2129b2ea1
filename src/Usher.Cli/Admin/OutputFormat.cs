namespace Usher.Cli.Admin;

/// <summary>How a client command prints what the server answered.</summary>
internal enum OutputFormat
{
    /// <summary>Compact aligned text for a person (the default).</summary>
    Table,

    /// <summary>The server's JSON as it came, indented, for scripts.</summary>
    Json,
}
