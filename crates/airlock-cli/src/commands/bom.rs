//! `airlock bom`: discover, assemble, write (CycloneDX, SPDX, a summary or the lineage tree).

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::Path;

use airlock_bom::assemble::{assemble, props};
use airlock_bom::completeness::{self, ModelCompleteness};
use airlock_bom::diff::{BomDiff, Named, diff as diff_boms, read_any};
use airlock_bom::discover::{DiscoverOptions, Inventory, discover};
use airlock_bom::merge::merge as merge_boms;
use airlock_bom::{Bom, ComponentKind, Relation, Subject, cyclonedx, spdx};
use anyhow::{Context, Result, bail};

use crate::Outcome;
use crate::args::{
    BomAction, BomArgs, BomDiffArgs, BomFormat, BomMergeArgs, CycloneDxVersion, ListFormat,
};
use crate::commands::files;

pub fn run(args: &BomArgs) -> Result<Outcome> {
    let path = match (&args.action, &args.path) {
        (Some(BomAction::Diff(diff_args)), _) => return diff(diff_args),
        (Some(BomAction::Merge(merge_args)), _) => return merge(merge_args),
        (None, Some(path)) => path,
        (None, None) => bail!("give a project directory"),
    };
    let options = DiscoverOptions {
        hash: !args.no_hash,
        ..DiscoverOptions::default()
    };
    let inventory =
        discover(path, &options).with_context(|| format!("cannot read `{}`", path.display()))?;
    let deps = airlock_deps::discover(path);
    let subject = subject(args, path, &deps.manifests);
    let bom = assemble(path, subject, &inventory, &deps.manifests);
    bom.check().context("the assembled BOM is inconsistent")?;
    warn_problems(&inventory, &deps);
    let models = completeness::models(&bom);
    let mut out = io::stdout().lock();
    if args.graph {
        write_graph(&mut out, &bom)?;
    } else {
        let document = document(&bom, args.format, args.spec_version)?;
        match (document, &args.output) {
            (Some(document), Some(path)) => {
                files::write_atomically(path, document.as_bytes())?;
                write_summary(&mut out, &bom, &models)?;
                writeln!(out, "wrote {}", path.display())?;
            }
            (Some(document), None) => writeln!(out, "{document}")?,
            (None, _) => write_summary(&mut out, &bom, &models)?,
        }
    }
    out.flush()?;
    let mut err = io::stderr().lock();
    for model in models
        .iter()
        .filter(|model| model.lacks_source_or_digests())
    {
        writeln!(
            err,
            "warning: model {} has no {} recorded",
            model.name,
            model
                .missing
                .iter()
                .filter(|field| matches!(**field, "source" | "digests"))
                .copied()
                .collect::<Vec<_>>()
                .join(" or ")
        )?;
    }
    Ok(Outcome::Clean)
}

/// The project: `--name`, else the name a pyproject.toml at the root declares, else the
/// folder's name.
fn subject(args: &BomArgs, path: &Path, manifests: &[airlock_deps::Manifest]) -> Subject {
    let root_project = manifests
        .iter()
        .filter(|manifest| manifest.path.parent() == Some(path))
        .find_map(|manifest| manifest.project.as_ref());
    let folder = std::fs::canonicalize(path)
        .ok()
        .and_then(|path| {
            path.file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "project".to_owned());
    Subject {
        name: args
            .name
            .clone()
            .or_else(|| root_project.map(|project| project.name.clone()))
            .unwrap_or(folder),
        version: root_project.and_then(|project| project.version.clone()),
        description: None,
    }
}

fn warn_problems(inventory: &Inventory, deps: &airlock_deps::Discovery) {
    let mut err = io::stderr().lock();
    for problem in &inventory.problems {
        let _ = writeln!(err, "warning: {}: {}", problem.path, problem.reason);
    }
    for problem in deps.problems.iter().chain(
        deps.manifests
            .iter()
            .flat_map(|manifest| &manifest.problems),
    ) {
        let _ = writeln!(
            err,
            "warning: {}: {}",
            location(&problem.location.file, problem.location.line),
            problem.message
        );
    }
}

fn location(file: &Path, line: Option<u32>) -> String {
    match line {
        Some(line) => format!("{}:{line}", file.display()),
        None => file.display().to_string(),
    }
}

fn write_summary(out: &mut dyn Write, bom: &Bom, models: &[ModelCompleteness]) -> io::Result<()> {
    let count = |kind: ComponentKind, present: bool| {
        bom.components
            .iter()
            .filter(|c| c.kind == kind)
            .filter(|c| (c.property(props::PRESENT) != Some("false")) == present)
            .count()
    };
    writeln!(
        out,
        "{}: {} models (+{} named, not present), {} datasets (+{} named), {} libraries, {} services",
        bom.subject.name,
        count(ComponentKind::MachineLearningModel, true),
        count(ComponentKind::MachineLearningModel, false),
        count(ComponentKind::Data, true),
        count(ComponentKind::Data, false),
        count(ComponentKind::Library, true),
        bom.services.len()
    )?;
    for model in models {
        let component = bom.component(&model.bom_ref);
        let path = component
            .and_then(|c| c.property(props::PATH))
            .unwrap_or("");
        let version = component
            .and_then(|c| c.version.as_deref())
            .map(|version| format!("@{}", &version[..version.len().min(12)]))
            .unwrap_or_default();
        writeln!(
            out,
            "  model {}{version}  {path}  completeness {}",
            model.name,
            model.score()
        )?;
        if !model.missing.is_empty() {
            writeln!(out, "        missing: {}", model.missing.join(", "))?;
        }
    }
    for component in bom
        .components
        .iter()
        .filter(|c| c.kind == ComponentKind::MachineLearningModel)
        .filter(|c| c.property(props::PRESENT) == Some("false"))
    {
        let version = component
            .version
            .as_deref()
            .map(|version| format!("@{version}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  named, not present: model {}{version}",
            component.full_name()
        )?;
    }
    for component in bom
        .components
        .iter()
        .filter(|c| c.kind == ComponentKind::Data)
    {
        let rows = component
            .data
            .as_ref()
            .and_then(|data| data.row_count)
            .map(|rows| format!("  {rows} rows"))
            .unwrap_or_default();
        let present = if component.property(props::PRESENT) == Some("false") {
            "  (named, not present)"
        } else {
            ""
        };
        writeln!(out, "  dataset {}{rows}{present}", component.full_name())?;
    }
    for service in &bom.services {
        let models = if service.models.is_empty() {
            String::new()
        } else {
            format!("  models: {}", service.models.join(", "))
        };
        writeln!(out, "  service {}{models}", service.name)?;
    }
    Ok(())
}

/// Each model present, with what it descends from and was trained on, recursively.
fn write_graph(out: &mut dyn Write, bom: &Bom) -> io::Result<()> {
    let roots: Vec<&str> = bom
        .components
        .iter()
        .filter(|c| c.kind == ComponentKind::MachineLearningModel)
        .filter(|c| c.property(props::PRESENT) != Some("false"))
        .map(|c| c.bom_ref.as_str())
        .collect();
    for root in roots {
        writeln!(out, "{}", label(bom, root))?;
        let mut seen = BTreeSet::from([root.to_owned()]);
        write_ancestors(out, bom, root, "", &mut seen)?;
    }
    Ok(())
}

fn write_ancestors(
    out: &mut dyn Write,
    bom: &Bom,
    from: &str,
    indent: &str,
    seen: &mut BTreeSet<String>,
) -> io::Result<()> {
    let mut edges: Vec<(String, &str)> = Vec::new();
    for dependency in bom.dependencies.iter().filter(|d| d.from == from) {
        let relation = match dependency.relation {
            Relation::DescendantOf(derivation) => derivation.as_str().to_owned(),
            Relation::TrainedOn => "trained on".to_owned(),
            Relation::TestedOn => "tested on".to_owned(),
            Relation::DependsOn => continue,
        };
        for to in &dependency.to {
            edges.push((relation.clone(), to));
        }
    }
    let last = edges.len();
    for (index, (relation, to)) in edges.into_iter().enumerate() {
        let (branch, next) = if index + 1 == last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        writeln!(out, "{indent}{branch}{relation}: {}", label(bom, to))?;
        if seen.insert(to.to_owned()) {
            write_ancestors(out, bom, to, &format!("{indent}{next}"), seen)?;
        }
    }
    Ok(())
}

fn label(bom: &Bom, bom_ref: &str) -> String {
    let Some(component) = bom.component(bom_ref) else {
        return bom_ref.to_owned();
    };
    let version = component
        .version
        .as_deref()
        .map(|version| format!("@{}", &version[..version.len().min(12)]))
        .unwrap_or_default();
    let place = match component.property(props::PATH) {
        Some(path) => format!("  ({path})"),
        None if component.property(props::PRESENT) == Some("false") => "  (not present)".into(),
        None => String::new(),
    };
    format!("{}{version}{place}", component.full_name())
}

/// The BOM as a CycloneDX or SPDX document, or `None` for the summary table.
fn document(bom: &Bom, format: BomFormat, version: CycloneDxVersion) -> Result<Option<String>> {
    Ok(match format {
        BomFormat::Table => None,
        BomFormat::Cyclonedx => Some(cyclonedx::write(
            bom,
            &cyclonedx::WriteOptions {
                spec_version: match version {
                    CycloneDxVersion::V1_6 => cyclonedx::SpecVersion::V1_6,
                    CycloneDxVersion::V1_7 => cyclonedx::SpecVersion::V1_7,
                },
                timestamp: None,
            },
        )?),
        BomFormat::Spdx => Some(spdx::write(bom, &spdx::WriteOptions::default())?),
    })
}

/// A CycloneDX or SPDX document from any tool.
fn read_bom(path: &Path) -> Result<Bom> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    read_any(&text).with_context(|| format!("`{}` is not a BOM airlock reads", path.display()))
}

/// `airlock bom merge BOM...`.
fn merge(args: &BomMergeArgs) -> Result<Outcome> {
    let boms = args
        .inputs
        .iter()
        .map(|path| read_bom(path))
        .collect::<Result<Vec<_>>>()?;
    let subject = Subject {
        name: args.name.clone(),
        version: None,
        description: None,
    };
    let merged = merge_boms(subject, &boms);
    merged.check().context("the merged BOM is inconsistent")?;
    let Some(document) = document(&merged, args.format, args.spec_version)? else {
        bail!("merge writes a document: use --format cyclonedx or spdx");
    };
    match &args.output {
        Some(path) => files::write_atomically(path, document.as_bytes())?,
        None => writeln!(io::stdout().lock(), "{document}")?,
    }
    Ok(Outcome::Clean)
}

/// `airlock bom diff OLD NEW`.
fn diff(args: &BomDiffArgs) -> Result<Outcome> {
    let changes = diff_boms(&read_bom(&args.old)?, &read_bom(&args.new)?);
    let mut out = io::stdout().lock();
    match args.format {
        ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&changes)?)?,
        ListFormat::Table => write_diff(&mut out, &changes)?,
    }
    out.flush()?;
    Ok(if changes.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Failed
    })
}

fn write_diff(out: &mut dyn Write, changes: &BomDiff) -> io::Result<()> {
    let show = |named: &Named| match &named.version {
        Some(version) => format!("{} {}@{version}", named.kind, named.name),
        None => format!("{} {}", named.kind, named.name),
    };
    for named in &changes.added {
        writeln!(out, "added    {}", show(named))?;
    }
    for named in &changes.removed {
        writeln!(out, "removed  {}", show(named))?;
    }
    for changed in &changes.changed {
        writeln!(out, "changed  {}", show(&changed.new))?;
        if changed.old.version != changed.new.version {
            writeln!(
                out,
                "         version  {} -> {}",
                show(&changed.old),
                show(&changed.new)
            )?;
        }
        if let Some((old, new)) = &changed.licences {
            writeln!(
                out,
                "         licence  [{}] -> [{}]",
                old.join(", "),
                new.join(", ")
            )?;
        }
        for digest in &changed.digests {
            writeln!(
                out,
                "         digest   {}: [{}] -> [{}]",
                digest.file,
                digest.old.join(", "),
                digest.new.join(", ")
            )?;
        }
    }
    for edge in &changes.lineage_added {
        writeln!(
            out,
            "lineage+ {} -{}-> {}",
            edge.from, edge.relation, edge.to
        )?;
    }
    for edge in &changes.lineage_removed {
        writeln!(
            out,
            "lineage- {} -{}-> {}",
            edge.from, edge.relation, edge.to
        )?;
    }
    if changes.is_empty() {
        writeln!(out, "no differences")?;
    }
    Ok(())
}
