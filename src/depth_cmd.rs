//! `visor depth LEFT RIGHT --focal PX --baseline MM [--doffs PX] --out DIR`: the depth module's
//! stereo matcher run offline on a rectified pair, so anyone can score it against their own
//! ground truth. Writes `DIR/disparity.png` (16-bit, 1/256 px, 0 where invalid),
//! `DIR/depth.png` (16-bit millimetres, 0 where unknown) and `DIR/confidence.png` (8-bit); with
//! `--truth FILE` (a disparity PNG in the same units) it also prints the Middlebury bad-2.0 rate.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use visor_depth::score::score;
use visor_depth::{Disparity, Gray, Matcher, StereoParams, StereoRig};
use visor_types::CameraIntrinsics;
use visor_types::profile::Matcher as Choice;

#[derive(clap::Args, Debug)]
pub struct DepthArgs {
    /// The left image of a rectified pair (PNG or JPEG); disparities are the left image's.
    pub left: PathBuf,
    /// The right image, the same size.
    pub right: PathBuf,
    /// Focal length of the rectified images, in pixels.
    #[arg(long, value_name = "PX")]
    pub focal: f32,
    /// Distance between the lenses' centres, in millimetres.
    #[arg(long, value_name = "MM")]
    pub baseline: f32,
    /// cx_right - cx_left in pixels (Middlebury's doffs); 0 for most rigs.
    #[arg(long, value_name = "PX", default_value_t = 0.0)]
    pub doffs: f32,
    /// Disparities searched: 0 to N-1 (a multiple of 8, at most 256).
    #[arg(long, value_name = "N", default_value_t = StereoParams::default().max_disparity)]
    pub max_disparity: u32,
    /// Where the maps go (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Ground-truth disparity (16-bit PNG, 1/256 px, 0 unknown) to score the result against.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// Match on the CPU even where a GPU adapter opens.
    #[arg(long)]
    pub cpu: bool,
}

pub fn run(args: &DepthArgs) -> anyhow::Result<String> {
    let left = Gray::open(&args.left)?;
    let right = Gray::open(&args.right)?;
    let rig = StereoRig {
        intrinsics: CameraIntrinsics { fx: args.focal, fy: args.focal, cx: left.width as f32 / 2.0, cy: left.height as f32 / 2.0 },
        baseline_m: args.baseline / 1000.0,
        doffs_px: args.doffs,
    };
    rig.validate()?;
    let params = StereoParams { max_disparity: args.max_disparity, ..StereoParams::default() };
    let (disparity, how, ms) = match_either(&left, &right, &params, args.cpu)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}; check the path", args.out.display()))?;
    disparity.save_units(&args.out.join("disparity.png"))?;
    disparity.to_depth(&rig).save(&args.out.join("depth.png"))?;
    let confidence = image::GrayImage::from_raw(disparity.width, disparity.height, disparity.confidence.clone()).expect("one per pixel");
    let path = args.out.join("confidence.png");
    confidence.save(&path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = format!(
        "{}x{} matched on {how} in {ms:.1} ms; {:.1} % of pixels have a disparity\nwrote {}/disparity.png, depth.png, confidence.png\n",
        left.width,
        left.height,
        disparity.density() * 100.0,
        args.out.display()
    );
    if let Some(truth) = &args.truth {
        let truth = Disparity::open_units(truth)?;
        anyhow::ensure!(
            (truth.width, truth.height) == (disparity.width, disparity.height),
            "the ground truth is {}x{} but the pair is {}x{}; score against the truth of this pair",
            truth.width,
            truth.height,
            disparity.width,
            disparity.height
        );
        let s = score(&disparity, &truth, 2.0);
        out.push_str(&format!(
            "bad 2.0: {:.2} % of {} known pixels (holes filled); {:.1} % answered, {:.2} % of those bad\n",
            s.bad_dense * 100.0,
            s.known,
            s.answered * 100.0,
            s.bad_answered * 100.0
        ));
    }
    Ok(out)
}

/// Matches the pair on the GPU (on the CPU with `cpu_only`, or where no adapter opens), with what
/// ran and how long it took. Opening the adapter is not counted: it is start-up, not matching.
pub fn match_either(left: &Gray, right: &Gray, params: &StereoParams, cpu_only: bool) -> anyhow::Result<(Disparity, String, f64)> {
    let matcher = Matcher::open(if cpu_only { Choice::Cpu } else { Choice::Auto })?;
    let start = Instant::now();
    let disparity = matcher.match_pair(left, right, params)?;
    Ok((disparity, matcher.describe(), start.elapsed().as_secs_f64() * 1000.0))
}
