using Usher.Backends.Onnx.Distillation;

namespace Usher.Cli.Optimize;

/// <summary>
/// <c>--from-log DIR</c>: the requests that request logging (<c>logging:</c> in a model's
/// <c>config.yaml</c>) wrote to DIR. The reader of those files is built beside request logging;
/// until it is plugged in here, this source says so and the command exits 2.
/// </summary>
internal sealed class RequestLogRows(string directory) : ITrainingRows
{
    /// <inheritdoc />
    public string Description => $"request logs in {directory}";

    /// <inheritdoc />
    public Task<TrainingRows?> ReadAsync(TeacherSignature teacher, List<string> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(problems);
        problems.Add(Directory.Exists(directory)
            ? $"--from-log {directory}: reading request logs is not available in this build; export the logged inputs to a CSV, JSONL or Parquet file with columns {teacher.Input}_0 ... {teacher.Input}_{teacher.Features - 1} and pass it with --data"
            : $"--from-log: {directory} does not exist");
        return Task.FromResult<TrainingRows?>(null);
    }
}
