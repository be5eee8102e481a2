//! The official Python SDK (`huaweicloudsdkcsms` 3.1.219), pointed at the emulator, runs the
//! rotation flow (`official_sdk_flow.py`). The SDK comes from the oracle virtualenv made by
//! `tests/oracle/setup.sh` (run here when missing).

use csms_emulator::{Emulator, EmulatorConfig, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};
use std::path::PathBuf;
use std::process::{Command, Stdio};

#[test]
fn the_official_python_sdk_runs_the_rotation_flow() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let setup = Command::new("sh").arg(root.join("tests/oracle/setup.sh")).stderr(Stdio::inherit()).output().unwrap();
    assert!(setup.status.success(), "tests/oracle/setup.sh failed");
    let python = String::from_utf8(setup.stdout).unwrap().trim().lines().last().unwrap().to_owned();

    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let output = Command::new(python)
        .arg(root.join("emulator/tests/official_sdk_flow.py"))
        .args([emulator.endpoint().as_str(), DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT_ID])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(output.status.success(), "the flow failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("official SDK flow: 11 passed, 0 failed"));
}
