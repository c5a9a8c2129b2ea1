using Usher.Backends.Onnx.Distillation;
using Usher.Backends.Onnx.Quantization;

namespace Usher.Cli.Optimize;

/// <summary>What <c>usher optimize distill</c> was asked to do.</summary>
/// <param name="Repository">The model repository.</param>
/// <param name="Model">The teacher's model folder; the student becomes a version of it.</param>
/// <param name="TeacherVersion">The teacher's version.</param>
/// <param name="Student">The student's shape.</param>
/// <param name="Rows">Where the rows come from (<c>--data</c> or <c>--from-log</c>).</param>
/// <param name="ToVersion">The new version's number; null: the next free one.</param>
/// <param name="Training">Temperature, epochs, seed and the rest of the training.</param>
/// <param name="Comparison">How teacher and student are measured against each other.</param>
internal sealed record DistillSettings(
    string Repository,
    string Model,
    long TeacherVersion,
    StudentSpec Student,
    ITrainingRows Rows,
    long? ToVersion,
    TrainingOptions Training,
    ComparisonSettings Comparison);
