//! `.dlw` weights files, as the page's file picker and `distill eval --weights` read them: the
//! container, the metadata, the network config (only the lab's own networks may be built),
//! then the weights record loaded into that network.
#![no_main]
use burn::prelude::*;
use distill_lab::model::snapshot::{self, Network};
use distill_lab::model::{StudentConfig, TeacherConfig};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    static DEVICE: Device = Device::flex();
    /// The parameter count of the lab's own network per (teacher?, classes), built once.
    static LAB: RefCell<HashMap<(bool, usize), usize>> = RefCell::new(HashMap::new());
}

fn lab_params(teacher: bool, classes: usize, device: &Device) -> usize {
    LAB.with(|lab| {
        *lab.borrow_mut()
            .entry((teacher, classes))
            .or_insert_with(|| match teacher {
                true => TeacherConfig::new(classes).init(device).num_params(),
                false => StudentConfig::new(classes).init(device).num_params(),
            })
    })
}

fuzz_target!(|data: &[u8]| {
    DEVICE.with(|device| {
        let Ok((meta, record)) = snapshot::decode("fuzz.dlw", data) else {
            return;
        };
        let Ok(net) = snapshot::network_from_meta(&meta, device) else {
            return;
        };
        let teacher = matches!(net, Network::Teacher(_));
        let lab = lab_params(teacher, meta.classes.len(), device);
        assert_eq!(net.num_params(), lab, "only the lab's own network is built");
        let _ = net.load("fuzz.dlw", record);
    })
});
