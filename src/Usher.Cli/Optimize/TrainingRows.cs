namespace Usher.Cli.Optimize;

/// <summary>Rows of a teacher's input, read for distillation.</summary>
/// <param name="Features">The values, row-major (<c>Rows × features</c>).</param>
/// <param name="Rows">The rows.</param>
internal sealed record TrainingRows(float[] Features, int Rows)
{
    /// <summary>Fewer rows cannot be split into a training and a held-out part worth judging.</summary>
    public const int MinRows = 50;

    /// <summary>The most values read (1 GiB of FP32): a larger file is sampled first.</summary>
    public const long MaxValues = 256L * 1024 * 1024;
}
