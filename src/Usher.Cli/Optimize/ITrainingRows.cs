using Usher.Backends.Onnx.Distillation;

namespace Usher.Cli.Optimize;

/// <summary>
/// Where <c>usher optimize distill</c> gets the rows it runs the teacher on and trains the student
/// with: a data file (<see cref="DataFileRows"/>, <c>--data</c>) or the request logs of the model
/// (<see cref="RequestLogRows"/>, <c>--from-log</c>).
/// </summary>
internal interface ITrainingRows
{
    /// <summary>How the report names the source, e.g. <c>data file fraud.csv</c>.</summary>
    string Description { get; }

    /// <summary>
    /// The rows of the teacher's input (<c>rows × teacher.Features</c>); null with every problem
    /// added to <paramref name="problems"/>, each naming what was expected.
    /// </summary>
    Task<TrainingRows?> ReadAsync(TeacherSignature teacher, List<string> problems, CancellationToken cancellationToken);
}
