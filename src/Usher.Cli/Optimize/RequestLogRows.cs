using Usher.Backends.Onnx.Distillation;
using Usher.Server.RequestLogging;

namespace Usher.Cli.Optimize;

/// <summary>
/// <c>--from-log DIR</c>: the requests of the teacher's model that request logging (<c>logging:</c>
/// in its <c>config.yaml</c>) wrote to DIR, every row of each logged request's input one training row.
/// </summary>
internal sealed class RequestLogRows(string directory, string model) : ITrainingRows
{
    /// <inheritdoc />
    public string Description => $"request logs in {directory}";

    /// <inheritdoc />
    public async Task<TrainingRows?> ReadAsync(TeacherSignature teacher, List<string> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(problems);
        if (!RequestLogReader.TryOpen(directory, model, out var reader, out var problem))
        {
            problems.Add($"--from-log: {problem}");
            return null;
        }

        // Bounded like a data file: a log larger than the trainer takes is read up to that size.
        var maxRows = (int)Math.Min(int.MaxValue, TrainingRows.MaxValues / teacher.Features);
        var features = new List<float>();
        var rows = 0;
        try
        {
            await foreach (var entry in reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var input = entry.Inputs.FirstOrDefault(t => t.Name == teacher.Input);
                if (input is null || input.Shape is not [var n, var width] || width != teacher.Features)
                {
                    var found = input is null
                        ? $"inputs {string.Join(", ", entry.Inputs.Select(t => t.Name))}"
                        : $"shape [{string.Join(",", input.Shape)}]";
                    problems.Add($"--from-log {directory}: the request at {entry.Timestamp:O} (version {entry.Version}) has {found}; expected input '{teacher.Input}' of shape [N,{teacher.Features}]");
                    return null;
                }

                features.AddRange(RequestLogEntry.ToFloats(input));
                rows += (int)n;
                if (rows >= maxRows)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or ArgumentException)
        {
            problems.Add($"--from-log: {ex.Message}");
            return null;
        }

        if (rows == 0)
        {
            problems.Add($"--from-log {directory}: no logged requests of model '{model}'; turn on `logging:` in its config.yaml and send traffic first");
            return null;
        }

        rows = Math.Min(rows, maxRows);
        return new TrainingRows([.. features.Take(rows * teacher.Features)], rows);
    }
}
