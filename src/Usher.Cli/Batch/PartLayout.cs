namespace Usher.Cli.Batch;

/// <summary>Where the rows of an encoded part are, and the part's trailer (<see cref="IOutputFormat.Split"/>).</summary>
/// <param name="Rows">The bytes appended to the output.</param>
/// <param name="Trailer">The bytes the output's end needs (a Parquet part's footer), kept in the manifest.</param>
internal readonly record struct PartLayout(Range Rows, Range Trailer)
{
    /// <summary>A part that is all rows and no trailer (CSV, JSONL).</summary>
    public static PartLayout AllRows(int length) => new(0..length, 0..0);
}
