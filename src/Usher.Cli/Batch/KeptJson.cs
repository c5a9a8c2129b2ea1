namespace Usher.Cli.Batch;

/// <summary>A kept JSON array or object, as its JSON text: written back as JSON, or as text in CSV and Parquet.</summary>
/// <param name="Json">The value's JSON text.</param>
internal sealed record KeptJson(string Json)
{
    /// <inheritdoc />
    public override string ToString() => Json;
}
